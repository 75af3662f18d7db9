import rateLimit from '@fastify/rate-limit';
import type { Config } from '@crawlfleet/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { RateLimitedError } from '../errors.js';
import type { ApiKeys } from './api-keys.js';

/** A hook every protected context runs on each request: it answers (401, 429) or lets the request on. */
export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * With RATE_LIMIT_MAX > 0, a hook that lets each client (its configured key,
 * else its address) make that many requests per RATE_LIMIT_WINDOW_MS in the
 * contexts that add it (/v1, /admin and unknown routes). Counts live in Redis,
 * so the limit holds across API instances; while Redis is away requests are
 * let through (they get 503 from the routes anyway).
 * @returns the hook, or null when the limit is off.
 */
async function rateLimitHook(app: FastifyInstance, config: Config, redis: Redis, keys: ApiKeys): Promise<Guard | null> {
  if (config.rateLimitMax <= 0) return null;
  await app.register(rateLimit, {
    global: false,
    redis,
    nameSpace: `${config.queuePrefix}:rate-limit:`,
    skipOnError: true,
  });
  return app.rateLimit({
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    keyGenerator: (request) => keys.caller(request),
    errorResponseBuilder: (_request, context) => {
      const { statusCode, code, message } = new RateLimitedError(context.max, context.after);
      return { statusCode, code, message };
    },
  });
}

/**
 * Decorates the app with `guards`: the onRequest hooks every protected
 * context (/v1, /admin) and the 404 handler run, in order: the rate limit,
 * then the key check (when keys are configured).
 */
export default fp(
  async function guards(app: FastifyInstance) {
    const limit = await rateLimitHook(app, app.config, app.jobQueues.redis, app.apiKeys);
    app.decorate('guards', [...(limit ? [limit] : []), ...(app.apiKeys.enabled ? [app.apiKeys.require] : [])]);
  },
  { name: 'guards', dependencies: ['job-queues', 'callers'] },
);
