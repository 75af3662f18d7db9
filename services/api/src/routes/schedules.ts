import { JOB_TYPES, jobKind, type JobType } from '@crawlfleet/tasks/kinds';
import { TENANT_FIELD, jobInput, mayAct, type Scope, isRedisDownError, withRedis } from '@crawlfleet/core';
import { CRAWL_SCHEDULE_JOB, scopedScheduleId, splitScheduleId } from '@crawlfleet/crawl';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ScheduleNotFoundError, ValidationError } from '../errors.js';
import type { JobQueues } from '../plugins/job-queues.js';
import { ErrorReply } from '../schemas/job.js';
import { ScheduleId, TenantQuery, scheduleTenant } from '../schemas/schedule.js';
import { checkScheduleQuota } from '../schedules/schedule-quota.js';
import { CrawlScheduleView, listCrawlSchedules } from './crawl-schedules.js';
import { jobTypeOf, unknownTypeRoutes } from './unknown-type.js';

const ScheduleView = Type.Object(
  {
    id: Type.String(),
    tenant: Type.String(),
    type: Type.String(),
    every: Type.Union([Type.Integer(), Type.Null()]),
    cron: Type.Union([Type.String(), Type.Null()]),
    next: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    input: Type.Unknown(),
  },
  { title: 'Schedule' },
);
const errors = { 400: ErrorReply, 401: ErrorReply, 404: ErrorReply, 429: ErrorReply, 503: ErrorReply };
const tags = ['schedules'];

interface ScheduleBody {
  id: string;
  every?: number;
  cron?: string;
  input: unknown;
}

/** Periodic jobs (Celery beat's job), on BullMQ job schedulers: one run per period however many instances run. */
export default async function scheduleRoutes(app: FastifyInstance): Promise<void> {
  const { jobQueues: queues, jobs: store } = app;
  const { jobId: _jobId, ...template } = store.jobOptions({});

  for (const type of JOB_TYPES) {
    const body = Type.Object(
      {
        id: ScheduleId,
        every: Type.Optional(
          Type.Integer({ minimum: 1000, maximum: 31_536_000_000, description: 'Run every this many ms' }),
        ),
        cron: Type.Optional(
          Type.String({ minLength: 1, maxLength: 200, description: 'Or a cron pattern (5 or 6 fields)' }),
        ),
        input: (await jobKind(type).schemas!(app.config)).input,
      },
      { additionalProperties: false },
    );
    app.post<{ Body: ScheduleBody }>(
      `/schedules/${type}`,
      {
        config: { submits: true },
        schema: { tags, summary: `Run a ${type} job periodically`, body, response: { 201: ScheduleView, ...errors } },
      },
      async (request, reply) => {
        const { id, every, cron, input } = request.body;
        const scope = app.apiKeys.scope(request);
        const schedulerId = scopedScheduleId(scope.tenant, id);
        if ((every === undefined) === (cron === undefined))
          throw new ValidationError('body.every', 'or body.cron is required, not both');
        // A job scheduler adds to its own queue (crawl); rendered pages are the render queue's.
        if ((input as { render?: boolean }).render)
          throw new ValidationError(
            'body.input.render',
            'is not taken by job schedules: schedule a crawl with render: true',
          );
        await checkScheduleQuota(queues, app.apiKeys.enabled, scope, type, schedulerId);
        // Its runs are its tenant's jobs (with keys, they record their tenant as submitted jobs do).
        const data = app.apiKeys.enabled ? { ...(input as object), [TENANT_FIELD]: scope.tenant } : input;
        try {
          await withRedis(() =>
            queues.queue(type).upsertJobScheduler(schedulerId, every ? { every } : { pattern: cron! }, {
              name: type,
              data,
              opts: template,
            }),
          );
        } catch (err) {
          if ((err as { code?: string }).code === 'CF_ERR_REDIS_UNAVAILABLE' || isRedisDownError(err)) throw err;
          throw new ValidationError(cron ? 'body.cron' : 'body.every', `is not valid: ${(err as Error).message}`);
        }
        const view = (await list(queues, type, { tenant: scope.tenant, operator: false })).find((s) => s.id === id);
        return reply.code(201).send(view);
      },
    );
  }

  app.get(
    '/schedules',
    {
      schema: {
        tags,
        summary: "Your schedules of every queue (operators: every tenant's)",
        response: {
          200: Type.Object({ schedules: Type.Array(Type.Union([ScheduleView, CrawlScheduleView])) }),
          ...errors,
        },
      },
    },
    async (request) => {
      const scope = app.apiKeys.scope(request);
      return {
        schedules: [
          ...(await Promise.all(JOB_TYPES.map((type) => list(queues, type, scope)))).flat(),
          ...(await listCrawlSchedules(queues, scope)),
        ],
      };
    },
  );

  app.delete<{ Params: { type: string; id: string }; Querystring: { tenant?: string } }>(
    '/schedules/:type/:id',
    {
      schema: {
        tags,
        summary: 'Stop a schedule',
        params: Type.Object({ type: Type.String(), id: Type.String({ maxLength: 100 }) }),
        querystring: TenantQuery,
        response: errors,
      },
    },
    async (
      request: FastifyRequest<{ Params: { type: string; id: string }; Querystring: { tenant?: string } }>,
      reply,
    ) => {
      const { id } = request.params;
      const type = jobTypeOf(request.params.type);
      const tenant = scheduleTenant(app.apiKeys.scope(request), request.query.tenant);
      // A client id never holds ':', so none names another tenant's schedule.
      const removed =
        !id.includes(':') &&
        (await withRedis(() => queues.queue(type).removeJobScheduler(scopedScheduleId(tenant, id))));
      if (!removed) throw new ScheduleNotFoundError(type, id);
      return reply.code(204).send();
    },
  );
  unknownTypeRoutes(app, ['/schedules/:type'], ['POST']);
}

async function list(queues: JobQueues, type: JobType, scope: Scope) {
  const schedulers = await withRedis(() => queues.queue(type).getJobSchedulers(0, -1, true));
  // The crawl queue also holds crawl schedules (crawl-schedules.ts), listed apart.
  return schedulers
    .filter((scheduler) => scheduler.name !== CRAWL_SCHEDULE_JOB)
    .map((scheduler) => ({ scheduler, ...splitScheduleId(scheduler.id ?? scheduler.key) }))
    .filter(({ tenant }) => mayAct(scope, tenant))
    .map(({ scheduler, tenant, id }) => ({
      id,
      tenant,
      type,
      every: scheduler.every ?? null,
      cron: scheduler.pattern ?? null,
      next: scheduler.next ? new Date(scheduler.next).toISOString() : null,
      input: jobInput(scheduler.template?.data) ?? null,
    }));
}
