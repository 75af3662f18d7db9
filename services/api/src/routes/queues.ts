import { JOB_QUEUES, type JobQueueName } from '@crawlfleet/tasks/kinds';
import { RENDER_QUEUE, WEBHOOK_QUEUE, withRedis } from '@crawlfleet/core';
import type { Queue } from '../plugins/job-queues.js';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { Type } from 'typebox';
import { ErrorReply, JobTypeName } from '../schemas/job.js';
import { jobTypeOf } from './unknown-type.js';

const COUNTED = ['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed'] as const;

const Counts = Type.Object(Object.fromEntries(COUNTED.map((state) => [state, Type.Integer()])), {
  title: 'QueueCounts',
});

const ShardInfo = Type.Object(
  {
    name: Type.String({ description: 'The page queue, crawl-shard-<n>' }),
    paused: Type.Boolean(),
    workers: Type.Integer({ description: 'Worker connections on this shard' }),
    counts: Counts,
  },
  { title: 'QueueShard' },
);

const QueueInfo = Type.Object(
  {
    type: Type.Union([JobTypeName, Type.Literal(RENDER_QUEUE), Type.Literal(WEBHOOK_QUEUE)], {
      description: 'A job type; render: crawl jobs and pages with render: true; webhook: deliveries',
    }),
    paused: Type.Boolean(),
    workers: Type.Integer({ description: 'Worker connections on this queue' }),
    counts: Counts,
    shards: Type.Optional(
      Type.Array(ShardInfo, {
        description: 'crawl only, with CRAWL_QUEUE_SHARDS > 1: the page queues of recursive crawls (paused with crawl)',
      }),
    ),
  },
  { title: 'Queue' },
);

interface TypeRoute {
  Params: { type: string };
}

/** GET /v1/queues and pause/resume. */
export default async function queueRoutes(app: FastifyInstance): Promise<void> {
  const queues = app.jobQueues;
  const read = async (queue: Queue) => {
    const [counts, workers, paused] = await Promise.all([
      queue.getJobCounts(...COUNTED),
      queue.getWorkersCount(),
      queue.isPaused(),
    ]);
    return { paused, workers, counts };
  };
  const info = async (type: JobQueueName) => {
    if (type === RENDER_QUEUE) return { type, ...(await read(queues.render)) };
    const own = { type, ...(await read(queues.queue(type))) };
    if (type !== 'crawl' || queues.shards.length === 0) return own;
    const shards = await Promise.all(
      queues.shards.map(async (shard) => ({ name: shard.name, ...(await read(shard)) })),
    );
    return { ...own, shards };
  };
  const tags = ['queues'];
  const errors = { 400: ErrorReply, 404: ErrorReply, 503: ErrorReply };
  const params = Type.Object({
    type: Type.String({ description: `One of ${JOB_QUEUES.join(', ')}` }),
  });

  app.get(
    '/queues',
    {
      schema: {
        tags,
        summary: 'Counts by state, workers and pause state of every queue (webhook deliveries included)',
        response: { 200: Type.Object({ queues: Type.Array(QueueInfo) }), ...errors },
      },
    },
    async () => ({
      queues: await withRedis(() =>
        Promise.all([...JOB_QUEUES.map(info), read(queues.webhooks).then((own) => ({ type: WEBHOOK_QUEUE, ...own }))]),
      ),
    }),
  );

  // Pausing stops every tenant's work: operators only, decided by this context's hook.
  await app.register(async (operator) => {
    operator.addHook('onRequest', app.apiKeys.requireOperator);
    pauseRoutes(operator, info, errors, params);
  });
}

function pauseRoutes(
  app: FastifyInstance,
  info: (type: JobQueueName) => Promise<unknown>,
  errors: Record<number, unknown>,
  params: unknown,
): void {
  const queues = app.jobQueues;
  const tags = ['queues'];
  for (const action of ['pause', 'resume'] as const) {
    const schema: FastifySchema = {
      tags,
      summary: `${action === 'pause' ? 'Pause' : 'Resume'} a queue`,
      params,
      response: { 200: QueueInfo, 403: ErrorReply, ...errors },
    };
    app.post<TypeRoute>(`/queues/:type/${action}`, { schema }, async (request) => {
      const type = request.params.type === RENDER_QUEUE ? RENDER_QUEUE : jobTypeOf(request.params.type);
      return withRedis(async () => {
        // Pausing crawl pauses its page shards too: a paused crawl queue stops recursive crawls as well.
        const queue = type === RENDER_QUEUE ? queues.render : queues.queue(type);
        await Promise.all([queue, ...(type === 'crawl' ? queues.shards : [])].map((each) => each[action]()));
        return info(type);
      });
    });
  }
}
