import createError from '@fastify/error';

/*
 * Errors of the core area: configuration and Redis. Each has a code, a message
 * template and the HTTP status the API answers with.
 */

/** A configuration value is missing or invalid; the process must not start. */
export const ConfigError = createError('CF_ERR_CONFIG', 'Invalid configuration: %s', 500);

/** Redis did not answer in time; the caller should retry later. */
export const RedisUnavailableError = createError(
  'CF_ERR_REDIS_UNAVAILABLE',
  'Redis is not reachable (%s); retry later',
  503,
);
