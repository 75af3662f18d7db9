import {
  CrawlRequest,
  mayAct,
  webhookSecretsKey,
  DEFAULT_TENANT,
  OPERATOR,
  type Scope,
  isRedisDownError,
  withRedis,
} from '@crawlfleet/core';
import {
  CRAWL_SCHEDULE_JOB,
  crawlSchedulerId,
  hasSecrets,
  lastCrawlKey,
  lastErrorKey,
  redactedWebhook,
  type CrawlScheduleData,
} from '@crawlfleet/crawl';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { forbiddenHeader } from '@crawlfleet/tasks';
import { Type } from 'typebox';
import { ScheduleNotFoundError, ValidationError } from '../errors.js';
import type { JobQueues } from '../plugins/job-queues.js';
import { ErrorReply } from '../schemas/job.js';
import { ScheduleId, TenantQuery, scheduleTenant } from '../schemas/schedule.js';
import { checkScheduleQuota } from '../schedules/schedule-quota.js';

/** A crawl schedule as listed: its crawl (webhook secret and header values hidden) and the crawl it started last. */
export const CrawlScheduleView = Type.Object(
  {
    id: Type.String(),
    tenant: Type.String(),
    type: Type.Literal('crawls'),
    every: Type.Union([Type.Integer(), Type.Null()]),
    cron: Type.Union([Type.String(), Type.Null()]),
    next: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    crawl: Type.Unknown(),
    incremental: Type.Boolean(),
    lastCrawlId: Type.Union([Type.String(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the last run did not start (a quota), until one does',
    }),
  },
  { title: 'CrawlSchedule' },
);
const errors = { 400: ErrorReply, 404: ErrorReply, 503: ErrorReply };
const tags = ['schedules'];

interface Body {
  id: string;
  every?: number;
  cron?: string;
  crawl: CrawlRequest;
  incremental?: boolean;
}

/** Every crawl schedule `scope` may see, with the crawl each started last. */
export async function listCrawlSchedules(queues: JobQueues, scope: Scope) {
  const schedulers = await withRedis(() => queues.queue('crawl').getJobSchedulers(0, -1, true));
  const mine = schedulers.filter(
    (scheduler) =>
      scheduler.template?.data &&
      scheduler.name === CRAWL_SCHEDULE_JOB &&
      mayAct(scope, (scheduler.template.data as CrawlScheduleData).tenant),
  );
  const prefix = queues.config.queuePrefix;
  return withRedis(() =>
    Promise.all(
      mine.map(async (scheduler) => {
        const data = scheduler.template!.data as CrawlScheduleData;
        const tenant = data.tenant ?? DEFAULT_TENANT;
        const { webhook, ...crawl } = data.crawl;
        const [lastCrawlId, lastError] = await Promise.all([
          queues.redis.get(lastCrawlKey(prefix, tenant, data.scheduleId)),
          queues.redis.get(lastErrorKey(prefix, tenant, data.scheduleId)),
        ]);
        return {
          id: data.scheduleId,
          tenant,
          type: 'crawls' as const,
          every: scheduler.every ?? null,
          cron: scheduler.pattern ?? null,
          next: scheduler.next ? new Date(scheduler.next).toISOString() : null,
          crawl: {
            url: data.seed,
            ...crawl,
            ...(webhook ? { webhook: redactedWebhook(webhook) } : {}),
          },
          incremental: data.incremental,
          lastCrawlId,
          lastError,
        };
      }),
    ),
  );
}

/**
 * Crawl schedules stored before their webhook headers were refused (credentials,
 * webhook-*): said once at start, and shown on each as `lastError`.
 */
export async function reportForbiddenHeaders(queues: JobQueues, log: FastifyBaseLogger): Promise<void> {
  const schedules = await listCrawlSchedules(queues, OPERATOR);
  for (const schedule of schedules) {
    const names = Object.keys((schedule.crawl as { webhook?: { headers?: object } }).webhook?.headers ?? {});
    const refused = names.filter((name) => forbiddenHeader(name));
    if (refused.length === 0) continue;
    const message = `the webhook sets headers a webhook may not (${refused.join(', ')}): replace the schedule without them`;
    log.warn({ schedule: schedule.id, tenant: schedule.tenant }, message);
    await queues.redis.set(lastErrorKey(queues.config.queuePrefix, schedule.tenant, schedule.id), message);
  }
}

/** Recurring crawls: POST /schedules/crawls starts a crawl each period, DELETE stops them. */
export default async function crawlScheduleRoutes(app: FastifyInstance): Promise<void> {
  const { jobQueues: queues, crawls } = app;
  // Once Redis answers (within a minute of start): stored schedules with refused headers are said.
  app.addHook('onReady', async () => {
    const started = Date.now();
    const check = () => {
      if (queues.ready) void reportForbiddenHeaders(queues, app.log).catch(() => {});
      else if (Date.now() - started < 60_000) setTimeout(check, 500).unref();
    };
    check();
  });
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
      const scope = app.apiKeys.scope(request);
      const { tenant } = scope;
      if ((every === undefined) === (cron === undefined))
        throw new ValidationError('body.every', 'or body.cron is required, not both');
      if (crawl.recrawlOf !== undefined)
        throw new ValidationError('body.crawl.recrawlOf', 'is set by the schedule (incremental: true)');
      const { seed, webhook } = crawls.prepare(crawl, 'body.crawl');
      const schedulerId = crawlSchedulerId(tenant, id);
      await checkScheduleQuota(queues, app.apiKeys.enabled, scope, 'crawl', schedulerId);
      const { url: _url, ...rest } = crawl;
      // The template (shown by the dashboard) holds the webhook without its secrets; they wait in the tenant's hash.
      const shown = webhook ? { ...rest, webhook: redactedWebhook(webhook) } : rest;
      const data: CrawlScheduleData = {
        scheduleId: id,
        ...(tenant === DEFAULT_TENANT ? {} : { tenant }),
        quotas: app.apiKeys.enabled,
        seed,
        crawl: shown,
        incremental,
      };
      const template = { removeOnComplete: { age: queues.config.resultTtlSeconds }, removeOnFail: { age: 86_400 } };
      const secrets = webhookSecretsKey(queues.config.queuePrefix, tenant);
      try {
        await withRedis(async () => {
          if (hasSecrets(webhook)) await queues.redis.hset(secrets, id, JSON.stringify(webhook));
          else await queues.redis.hdel(secrets, id);
          await queues.queue('crawl').upsertJobScheduler(schedulerId, every ? { every } : { pattern: cron! }, {
            name: CRAWL_SCHEDULE_JOB,
            data,
            opts: template,
          });
        });
      } catch (err) {
        if ((err as { code?: string }).code === 'CF_ERR_REDIS_UNAVAILABLE' || isRedisDownError(err)) throw err;
        throw new ValidationError(cron ? 'body.cron' : 'body.every', `is not valid: ${(err as Error).message}`);
      }
      const view = (await listCrawlSchedules(queues, { tenant, operator: false })).find((each) => each.id === id);
      return reply.code(201).send(view);
    },
  );

  app.delete<{ Params: { id: string }; Querystring: { tenant?: string } }>(
    '/schedules/crawls/:id',
    {
      schema: {
        tags,
        summary: 'Stop a crawl schedule',
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        querystring: TenantQuery,
        response: errors,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const tenant = scheduleTenant(app.apiKeys.scope(request), request.query.tenant);
      const removed = await withRedis(async () => {
        const gone = await queues.queue('crawl').removeJobScheduler(crawlSchedulerId(tenant, id));
        if (gone) await queues.redis.hdel(webhookSecretsKey(queues.config.queuePrefix, tenant), id);
        return gone;
      });
      if (!removed) throw new ScheduleNotFoundError('crawls', id);
      return reply.code(204).send();
    },
  );
}
