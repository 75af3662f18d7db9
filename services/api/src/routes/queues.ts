import { JOB_TYPES, type JobType } from '@crawlfleet/core';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { Type } from 'typebox';
import { withRedis } from '../redis-errors.js';
import { ErrorReply, JobTypeName } from '../schemas/job.js';
import { jobTypeOf } from './unknown-type.js';

const COUNTED = ['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed'] as const;

const QueueInfo = Type.Object({
  type: JobTypeName,
  paused: Type.Boolean(),
  workers: Type.Integer({ description: 'Worker connections on this queue' }),
  counts: Type.Object(Object.fromEntries(COUNTED.map((state) => [state, Type.Integer()]))),
});

interface TypeRoute {
  Params: { type: string };
}

/** GET /v1/queues and pause/resume. */
export default async function queueRoutes(app: FastifyInstance): Promise<void> {
  const queues = app.jobQueues;
  const info = async (type: JobType) => {
    const queue = queues.queue(type);
    const [counts, workers, paused] = await Promise.all([
      queue.getJobCounts(...COUNTED),
      queue.getWorkersCount(),
      queue.isPaused(),
    ]);
    return { type, paused, workers, counts };
  };
  const tags = ['queues'];
  const errors = { 400: ErrorReply, 404: ErrorReply, 503: ErrorReply };
  const params = Type.Object({ type: Type.String({ description: `One of ${JOB_TYPES.join(', ')}` }) });

  app.get(
    '/queues',
    {
      schema: {
        tags,
        summary: 'Counts by state, workers and pause state of every queue',
        response: { 200: Type.Object({ queues: Type.Array(QueueInfo) }), ...errors },
      },
    },
    async () => ({ queues: await withRedis(() => Promise.all(JOB_TYPES.map(info))) }),
  );

  for (const action of ['pause', 'resume'] as const) {
    const schema: FastifySchema = {
      tags,
      summary: `${action === 'pause' ? 'Pause' : 'Resume'} a queue`,
      params,
      response: { 200: QueueInfo, ...errors },
    };
    app.post<TypeRoute>(`/queues/:type/${action}`, { schema }, async (request) => {
      const type = jobTypeOf(request.params.type);
      return withRedis(async () => {
        await queues.queue(type)[action]();
        return info(type);
      });
    });
  }
}
