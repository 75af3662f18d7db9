import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { keylessGuard } from './keyless-guard.js';
import { rateLimitHook } from './rate-limit.js';

/** A hook every protected context runs on each request: it answers (401, 403, 429) or lets the request on. */
export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * Decorates the app with `guards`: the onRequest hooks every protected
 * context (/v1, /admin) and the 404 handler run, in order: without keys,
 * the Host and cross-site check; the rate limit; then the key check (when
 * keys are configured).
 */
export default fp(
  async function guards(app: FastifyInstance) {
    const limit = await rateLimitHook(app, app.config, app.jobQueues.redis, app.apiKeys);
    const keys = app.apiKeys.enabled;
    app.decorate('guards', [
      ...(keys ? [] : [keylessGuard(app.config)]),
      ...(limit ? [limit] : []),
      ...(keys ? [app.apiKeys.require] : []),
    ]);
  },
  { name: 'guards', dependencies: ['job-queues', 'callers'] },
);
