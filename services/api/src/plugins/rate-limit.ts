import rateLimit from '@fastify/rate-limit';
import { rateLimitCaller, rateLimitNamespace, type Config } from '@crawlfleet/core';
import type { FastifyInstance } from 'fastify';
import type { Guard } from './guards.js';
import type { RedisClient } from '@crawlfleet/core';
import { RateLimitedError } from '../errors.js';
import type { ApiKeys } from './api-keys.js';

/**
 * With RATE_LIMIT_MAX > 0, a hook that lets each client (its configured key,
 * else its address) make that many requests per RATE_LIMIT_WINDOW_MS in the
 * contexts that add it (/v1, /admin and unknown routes). Counts live in Redis,
 * so the limit holds across API instances; while Redis is away requests are
 * let through (they get 503 from the routes anyway).
 * @returns the hook, or null when the limit is off.
 */
export async function rateLimitHook(
  app: FastifyInstance,
  config: Config,
  redis: RedisClient,
  keys: ApiKeys,
): Promise<Guard | null> {
  if (config.rateLimitMax <= 0) return null;
  await app.register(rateLimit, {
    global: false,
    redis,
    nameSpace: rateLimitNamespace(config.queuePrefix),
    skipOnError: true,
  });
  return app.rateLimit({
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    // In braces: each client's count is a hash tag of its own, spread over a cluster's slots.
    keyGenerator: (request) => rateLimitCaller(keys.caller(request)),
    errorResponseBuilder: (_request, context) => {
      const { statusCode, code, message } = new RateLimitedError(context.max, context.after);
      return { statusCode, code, message };
    },
  });
}
