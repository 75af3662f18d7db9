import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { rateLimitHook } from './rate-limit.js';

/** A hook every protected context runs on each request: it answers (401, 429) or lets the request on. */
export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

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
