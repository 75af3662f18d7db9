import { JOB_TYPES, jobKind, type JobType, type KindSchemas } from '@crawlfleet/tasks/kinds';
import { JOB_EVENTS, webhookSpec, type WebhookSpec, acceptedReply, toJobView } from '@crawlfleet/core';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { JobNotCancellableError, JobNotRetriableError } from '../errors.js';
import { JobLists, type ListQuery } from '../jobs/job-lists.js';
import type { JobStore, SubmitOptions } from '../jobs/job-store.js';
import {
  BatchAccepted,
  errorReplies,
  IdempotencyHeaders,
  JobAccepted,
  JobIdParams,
  JobStateName,
  WaitQuery,
  submitQueries,
  jobView,
} from '../schemas/job.js';
import { checkWebhook } from '@crawlfleet/tasks';
import { holdingWait } from './hold-wait.js';
import { unknownTypeRoutes } from './unknown-type.js';

interface SubmitRoute {
  Body: unknown;
  Querystring: SubmitOptions & { wait?: number };
  Headers: { 'idempotency-key'?: string };
}
interface JobRoute {
  Params: { id: string };
  Querystring: { wait?: number };
}

const ListQuerySchema = Type.Object(
  {
    state: Type.Optional(JobStateName),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 20 })),
    tenant: Type.Optional(Type.String({ maxLength: 32, description: "Operators: one tenant's jobs only" })),
  },
  { additionalProperties: false },
);

/** The Jobs part of the API for one type, with that type's schemas. */
function typeRoutes(
  app: FastifyInstance,
  store: JobStore,
  lists: JobLists,
  type: JobType,
  { input, result }: KindSchemas,
): void {
  const view = jobView(input, result, `${type[0].toUpperCase()}${type.slice(1)}Job`);
  // A job's webhook rides beside its input fields, and is taken off before the input is stored.
  const body = Type.Object(
    { ...input.properties, webhook: Type.Optional(webhookSpec(JOB_EVENTS)) },
    { additionalProperties: false },
  );
  const { SubmitQuery, BatchQuery } = submitQueries(app.config.maxDelayMs);
  const tags = [`jobs`];

  app.post<SubmitRoute>(
    `/jobs/${type}`,
    {
      config: { submits: true },
      schema: {
        tags,
        summary: `Submit a ${type} job`,
        body,
        querystring: SubmitQuery,
        headers: IdempotencyHeaders,
        response: { 200: view, 202: JobAccepted, ...errorReplies(400, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const { wait, ...options } = request.query;
      const key = request.headers['idempotency-key'];
      const { webhook, ...data } = request.body as { webhook?: WebhookSpec };
      checkWebhook(webhook, app.config);
      const scope = app.apiKeys.scope(request);
      const { job, replayed } = await store.add(type, data, options, scope, key, webhook);
      if (replayed) reply.header('idempotent-replayed', 'true');
      if (wait) {
        const found = await holdingWait(request, () => store.waitFor(type, String(job.id), wait, scope));
        if (found.state === 'completed' || found.state === 'failed') {
          return reply.code(200).send(toJobView(type, found.job, found.state));
        }
        return reply.code(202).send(acceptedReply(type, String(job.id), found.state));
      }
      const state = replayed
        ? (await store.find(type, String(job.id), scope)).state
        : job.delay > 0
          ? 'delayed'
          : options.priority
            ? 'prioritized'
            : 'waiting';
      return reply.code(202).send(acceptedReply(type, String(job.id), state));
    },
  );

  app.post<SubmitRoute>(
    `/jobs/${type}/batch`,
    {
      config: { submits: true },
      schema: {
        tags,
        summary: `Submit 1 to 1000 ${type} jobs at once`,
        body: Type.Array(input, { minItems: 1, maxItems: 1000 }),
        querystring: BatchQuery,
        headers: IdempotencyHeaders,
        response: { 202: BatchAccepted, ...errorReplies(400, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const { ids, replayed } = await store.addBatch(
        type,
        request.body as unknown[],
        request.query,
        app.apiKeys.scope(request),
        request.headers['idempotency-key'],
      );
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).send({ ids });
    },
  );

  app.get<JobRoute>(
    `/jobs/${type}/:id`,
    {
      schema: {
        tags,
        summary: `Read a ${type} job`,
        params: JobIdParams,
        querystring: WaitQuery,
        response: { 200: view, ...errorReplies(400, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { wait } = request.query;
      const scope = app.apiKeys.scope(request);
      const found = await store.find(type, id, scope);
      if (wait && found.state !== 'completed' && found.state !== 'failed') {
        const finished = await holdingWait(request, () => store.waitFor(type, id, wait, scope));
        return toJobView(type, finished.job, finished.state);
      }
      return toJobView(type, found.job, found.state);
    },
  );

  app.delete<JobRoute>(
    `/jobs/${type}/:id`,
    {
      schema: {
        tags,
        summary:
          type === 'crawl'
            ? 'Remove a crawl job that has not started, or cancel a running one'
            : `Remove a ${type} job that has not started`,
        params: JobIdParams,
        response: { 202: JobAccepted, ...errorReplies(404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { job, state } = await store.find(type, id, app.apiKeys.scope(request));
      if (state !== 'active' && (await store.remove(job))) return reply.code(204).send();
      if (type !== 'crawl') throw new JobNotCancellableError(id, type);
      await store.cancel(type, id);
      return reply.code(202).send(acceptedReply(type, id, 'active'));
    },
  );

  app.get<{ Querystring: ListQuery }>(
    `/jobs/${type}`,
    {
      schema: {
        tags,
        summary: `List ${type} jobs, newest first: your own (operators: every tenant's)`,
        querystring: ListQuerySchema,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Intersect([view, Type.Object({ tenant: Type.Optional(Type.String()) })], {
                title: `Listed${type[0].toUpperCase()}${type.slice(1)}Job`,
              }),
            ),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorReplies(400, 404),
        },
      },
    },
    async (request) =>
      lists.list(type, app.apiKeys.scope(request), { ...request.query, limit: request.query.limit ?? 100 }),
  );

  app.post<JobRoute>(
    `/jobs/${type}/:id/retry`,
    {
      config: { submits: true },
      schema: {
        tags,
        summary: `Run a failed or cancelled ${type} job again`,
        params: JobIdParams,
        response: { 202: JobAccepted, ...errorReplies(404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const state = await store.retry(type, id, app.apiKeys.scope(request));
      if (state !== 'failed' && state !== 'cancelled') throw new JobNotRetriableError(id, state);
      return reply.code(202).send(acceptedReply(type, id, 'waiting'));
    },
  );
}

/** POST/GET/DELETE for every job type, on the app's job store. */
export default async function jobRoutes(app: FastifyInstance): Promise<void> {
  const lists = new JobLists(app.jobQueues);
  for (const type of JOB_TYPES) typeRoutes(app, app.jobs, lists, type, await jobKind(type).schemas!(app.config));
  unknownTypeRoutes(
    app,
    ['/jobs/:type', '/jobs/:type/batch', '/jobs/:type/:id', '/jobs/:type/:id/events', '/jobs/:type/:id/retry'],
    ['GET', 'POST', 'DELETE'],
  );
}
