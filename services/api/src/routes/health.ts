import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { RedisUnavailableError, withRedis } from '@crawlfleet/core';
import { RedisMemoryError } from '../errors.js';
import { ErrorReply } from '../schemas/job.js';

/** /healthz: the process answers. /readyz: Redis answers too and is not over 90% of its maxmemory (503 otherwise). */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  const tags = ['health'];
  app.get(
    '/healthz',
    {
      schema: {
        tags,
        summary: 'Liveness: the process answers',
        response: { 200: Type.Object({ status: Type.String() }) },
      },
    },
    async () => ({
      status: 'ok',
    }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags,
        summary: 'Readiness: Redis answers and is under 90% of its memory',
        response: { 200: Type.Object({ status: Type.String() }), 503: ErrorReply },
      },
    },
    async () => {
      const { jobQueues } = app;
      if (!jobQueues.ready) throw new RedisUnavailableError(`connection is ${jobQueues.redis.status}`);
      await withRedis(() => jobQueues.redis.ping(), 1000);
      if (jobQueues.memoryPressure) throw new RedisMemoryError(Math.round(jobQueues.memoryUse * 100));
      return { status: 'ready' };
    },
  );
}
