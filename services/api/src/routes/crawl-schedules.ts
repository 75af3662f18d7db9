import {
  CRAWL_SCHEDULE_JOB,
  CrawlRequest,
  crawlSchedulerId,
  lastCrawlKey,
  type CrawlScheduleData,
} from '@crawlfleet/core';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ScheduleNotFoundError, ValidationError } from '../errors.js';
import type { JobQueues } from '../plugins/job-queues.js';
import { isRedisDownError, withRedis } from '../redis-errors.js';
import { ErrorReply } from '../schemas/job.js';
import { ScheduleId } from '../schemas/schedule.js';

/** A crawl schedule as listed: its crawl (a webhook secret hidden) and the crawl it started last. */
export const CrawlScheduleView = Type.Object({
  id: Type.String(),
  type: Type.Literal('crawls'),
  every: Type.Union([Type.Integer(), Type.Null()]),
  cron: Type.Union([Type.String(), Type.Null()]),
  next: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  crawl: Type.Unknown(),
  incremental: Type.Boolean(),
  lastCrawlId: Type.Union([Type.String(), Type.Null()]),
});
const errors = { 400: ErrorReply, 404: ErrorReply, 503: ErrorReply };
const tags = ['schedules'];

interface Body {
  id: string;
  every?: number;
  cron?: string;
  crawl: CrawlRequest;
  incremental?: boolean;
}

/** Every crawl schedule, with the crawl each started last. */
export async function listCrawlSchedules(queues: JobQueues) {
  const schedulers = await withRedis(() => queues.queue('crawl').getJobSchedulers(0, -1, true));
  const mine = schedulers.filter((scheduler) => scheduler.template?.data && scheduler.name === CRAWL_SCHEDULE_JOB);
  return withRedis(() =>
    Promise.all(
      mine.map(async (scheduler) => {
        const data = scheduler.template!.data as CrawlScheduleData;
        const { webhook, ...crawl } = data.crawl;
        const lastCrawlId = await queues.redis.get(lastCrawlKey(queues.config.queuePrefix, data.scheduleId));
        return {
          id: data.scheduleId,
          type: 'crawls' as const,
          every: scheduler.every ?? null,
          cron: scheduler.pattern ?? null,
          next: scheduler.next ? new Date(scheduler.next).toISOString() : null,
          crawl: {
            url: data.seed,
            ...crawl,
            ...(webhook ? { webhook: { ...webhook, ...(webhook.secret ? { secret: '***' } : {}) } } : {}),
          },
          incremental: data.incremental,
          lastCrawlId,
        };
      }),
    ),
  );
}

/** Recurring crawls: POST /schedules/crawls starts a crawl each period, DELETE stops them. */
export default async function crawlScheduleRoutes(app: FastifyInstance): Promise<void> {
  const { jobQueues: queues, crawls } = app;
  const body = Type.Object(
    {
      id: ScheduleId,
      every: Type.Optional(Type.Integer({ minimum: 1000, maximum: 31_536_000_000, description: 'Every this many ms' })),
      cron: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Or a cron pattern' })),
      crawl: CrawlRequest,
      incremental: Type.Optional(
        Type.Boolean({ description: 'Each run recrawls the last one (recrawlOf); default false' }),
      ),
    },
    { additionalProperties: false },
  );
  app.post<{ Body: Body }>(
    '/schedules/crawls',
    {
      config: { submits: true },
      schema: { tags, summary: 'Start a crawl periodically', body, response: { 201: CrawlScheduleView, ...errors } },
    },
    async (request, reply) => {
      const { id, every, cron, crawl, incremental = false } = request.body;
      if ((every === undefined) === (cron === undefined))
        throw new ValidationError('body.every', 'or body.cron is required, not both');
      if (crawl.recrawlOf !== undefined)
        throw new ValidationError('body.crawl.recrawlOf', 'is set by the schedule (incremental: true)');
      const { seed } = crawls.prepare(crawl, 'body.crawl');
      const { url: _url, ...rest } = crawl;
      const data: CrawlScheduleData = { scheduleId: id, seed, crawl: rest, incremental };
      const template = { removeOnComplete: { age: queues.config.resultTtlSeconds }, removeOnFail: { age: 86_400 } };
      try {
        await withRedis(() =>
          queues.queue('crawl').upsertJobScheduler(crawlSchedulerId(id), every ? { every } : { pattern: cron! }, {
            name: CRAWL_SCHEDULE_JOB,
            data,
            opts: template,
          }),
        );
      } catch (err) {
        if ((err as { code?: string }).code === 'CF_ERR_REDIS_UNAVAILABLE' || isRedisDownError(err)) throw err;
        throw new ValidationError(cron ? 'body.cron' : 'body.every', `is not valid: ${(err as Error).message}`);
      }
      const view = (await listCrawlSchedules(queues)).find((schedule) => schedule.id === id);
      return reply.code(201).send(view);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/schedules/crawls/:id',
    {
      schema: {
        tags,
        summary: 'Stop a crawl schedule',
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: errors,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const removed = await withRedis(() => queues.queue('crawl').removeJobScheduler(crawlSchedulerId(id)));
      if (!removed) throw new ScheduleNotFoundError('crawls', id);
      return reply.code(204).send();
    },
  );
}
