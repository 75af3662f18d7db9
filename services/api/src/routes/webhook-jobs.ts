import { DEFAULT_TENANT, mayAct, viewState, type JobState, type Scope, withRedis } from '@crawlfleet/core';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { JobNotFoundError, JobNotRetriableError, ValidationError } from '../errors.js';
import type { Job } from '../plugins/job-queues.js';
import { JobIdParams, JobStateName, errorReplies } from '../schemas/job.js';

/** A webhook delivery as listed: where it goes and how it went, never its body's content or headers. */
const DeliveryView = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal('webhook'),
    state: JobStateName,
    event: Type.String(),
    url: Type.String(),
    error: Type.Union([Type.String(), Type.Null()]),
    attempts: Type.Integer(),
    createdAt: Type.Union([Type.String(), Type.Null()]),
    finishedAt: Type.Union([Type.String(), Type.Null()]),
    tenant: Type.Optional(Type.String()),
  },
  { title: 'WebhookDelivery' },
);

const LISTS = ['failed', 'active', 'waiting', 'delayed', 'prioritized', 'completed'] as const;
const SCAN_BUDGET = 5000;
const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
const tenantOf = (job: Job) => (job.data as { tenant?: string }).tenant ?? DEFAULT_TENANT;

function view(job: Job, state: JobState, operator: boolean) {
  const data = job.data as { url?: string; event?: string };
  return {
    id: String(job.id),
    type: 'webhook' as const,
    state: viewState(job, state),
    event: data.event ?? job.name,
    url: data.url ?? '',
    error: job.failedReason || null,
    attempts: job.attemptsMade,
    createdAt: iso(job.timestamp),
    finishedAt: iso(job.finishedOn),
    ...(operator ? { tenant: tenantOf(job) } : {}),
  };
}

/**
 * Webhook deliveries as jobs of their own: listed (a tenant its own, an
 * operator all) and retried once given up; never submitted (they are made
 * by crawls and jobs).
 */
export default async function webhookJobRoutes(app: FastifyInstance): Promise<void> {
  const queues = app.jobQueues;
  const tags = ['webhooks'];

  app.get<{ Querystring: { state?: JobState; limit?: number; cursor?: string; tenant?: string } }>(
    '/jobs/webhook',
    {
      schema: {
        tags,
        summary: "List webhook deliveries, newest first: yours (operators: every tenant's); ?state=failed",
        querystring: Type.Object(
          {
            state: Type.Optional(Type.Union(LISTS.map((state) => Type.Literal(state)))),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            cursor: Type.Optional(Type.String({ maxLength: 20 })),
            tenant: Type.Optional(Type.String({ maxLength: 32 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(DeliveryView), next: Type.Union([Type.String(), Type.Null()]) }),
          ...errorReplies(400),
        },
      },
    },
    async (request) => {
      const scope = app.apiKeys.scope(request);
      const who: Scope =
        scope.operator && request.query.tenant ? { tenant: request.query.tenant, operator: false } : scope;
      const state = request.query.state ?? 'failed';
      const limit = request.query.limit ?? 100;
      const cursor = request.query.cursor ?? '0';
      if (!/^\d{1,12}$/.test(cursor))
        throw new ValidationError('querystring.cursor', 'is not a cursor this API gave out');
      let offset = Number(cursor);
      const items: ReturnType<typeof view>[] = [];
      for (let scanned = 0; scanned < SCAN_BUDGET && items.length < limit;) {
        const jobs = await withRedis(() =>
          queues.webhooks.getJobs(
            [state] as Parameters<typeof queues.webhooks.getJobs>[0],
            offset,
            offset + 199,
            false,
          ),
        );
        for (const job of jobs) {
          offset += 1;
          if (job && mayAct(who, tenantOf(job))) items.push(view(job, state, scope.operator));
          if (items.length === limit) break;
        }
        scanned += jobs.length;
        if (jobs.length < 200) return { items, next: null };
      }
      return { items, next: String(offset) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/jobs/webhook/:id/retry',
    {
      config: { submits: true },
      schema: {
        tags,
        summary: 'Send a given-up webhook delivery again',
        params: JobIdParams,
        response: { 202: DeliveryView, ...errorReplies(404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const scope = app.apiKeys.scope(request);
      const [state, job] = await withRedis(() =>
        Promise.all([queues.webhooks.getJobState(id), queues.webhooks.getJob(id)]),
      );
      if (!job || state === 'unknown' || !mayAct(scope, tenantOf(job))) throw new JobNotFoundError('webhook', id);
      if (state !== 'failed') throw new JobNotRetriableError(id, state);
      await withRedis(() => job.retry('failed'));
      return reply.code(202).send(view(job, 'waiting', scope.operator));
    },
  );
}
