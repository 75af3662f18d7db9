import { JOB_EVENTS, JOB_TYPES, jobSchemas, webhookSpec, type JobType, type WebhookSpec } from '@crawlfleet/core';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { JobNotCancellableError } from '../errors.js';
import { acceptedReply, toJobView } from '@crawlfleet/core';
import type { JobStore, SubmitOptions } from '../jobs/job-store.js';
import {
  BatchAccepted,
  ErrorReply,
  IdempotencyHeaders,
  JobAccepted,
  JobIdParams,
  WaitQuery,
  submitQueries,
  jobView,
} from '../schemas/job.js';
import { checkWebhook } from '../webhook-check.js';
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

const errors = { 400: ErrorReply, 404: ErrorReply, 409: ErrorReply, 413: ErrorReply, 503: ErrorReply };

/** The Jobs part of the API for one type, with that type's schemas. */
function typeRoutes(app: FastifyInstance, store: JobStore, type: JobType): void {
  const { input, result } = jobSchemas({ fibonacciMaxN: app.config.fibonacciMaxN })[type];
  const view = jobView(input, result);
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
        response: { 200: view, 202: JobAccepted, ...errors },
      },
    },
    async (request, reply) => {
      const { wait, ...options } = request.query;
      const key = request.headers['idempotency-key'];
      const { webhook, ...data } = request.body as { webhook?: WebhookSpec };
      checkWebhook(webhook, app.config);
      const { job, replayed } = await store.add(type, data, options, key, webhook);
      if (replayed) reply.header('idempotent-replayed', 'true');
      if (wait) {
        const found = await holdingWait(request, () => store.waitFor(type, String(job.id), wait));
        if (found.state === 'completed' || found.state === 'failed') {
          return reply.code(200).send(toJobView(type, found.job, found.state));
        }
        return reply.code(202).send(acceptedReply(type, String(job.id), found.state));
      }
      const state = replayed
        ? (await store.find(type, String(job.id))).state
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
        response: { 202: BatchAccepted, ...errors },
      },
    },
    async (request, reply) => {
      const { ids, replayed } = await store.addBatch(
        type,
        request.body as unknown[],
        request.query,
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
        response: { 200: view, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { wait } = request.query;
      const found = await store.find(type, id);
      if (wait && found.state !== 'completed' && found.state !== 'failed') {
        const finished = await holdingWait(request, () => store.waitFor(type, id, wait));
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
        summary: `Remove a ${type} job that has not started, or cancel a running crawl`,
        params: JobIdParams,
        response: { 202: JobAccepted, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { job, state } = await store.find(type, id);
      if (state !== 'active' && (await store.remove(job))) return reply.code(204).send();
      if (type !== 'crawl') throw new JobNotCancellableError(id, type);
      await store.cancel(type, id);
      return reply.code(202).send(acceptedReply(type, id, 'active'));
    },
  );
}

/** POST/GET/DELETE for every job type, on the app's job store. */
export default async function jobRoutes(app: FastifyInstance): Promise<void> {
  for (const type of JOB_TYPES) typeRoutes(app, app.jobs, type);
  unknownTypeRoutes(
    app,
    ['/jobs/:type', '/jobs/:type/batch', '/jobs/:type/:id', '/jobs/:type/:id/events'],
    ['GET', 'POST', 'DELETE'],
  );
}
