import { CRAWL_STATES, CrawlOptionsView, CrawlRequest, CrawlStats, MAX_WAIT_MS, PageRecord } from '@crawlfleet/core';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ValidationError } from '../errors.js';
import { errorReplies } from '../schemas/job.js';
import { holdingWait } from './hold-wait.js';
import type { CrawlListQuery } from '@crawlfleet/crawl';

const CrawlView = Type.Object(
  {
    id: Type.String(),
    tenant: Type.String({ description: 'The tenant that started it' }),
    state: Type.Enum(CRAWL_STATES),
    seed: Type.String(),
    options: CrawlOptionsView,
    stats: CrawlStats,
    stopReason: Type.Union([Type.Enum(['maxPages', 'maxDuration', 'maxBytes', 'quota']), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'Crawl' },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const WaitQuery = Type.Object(
  { wait: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_WAIT_MS })) },
  { additionalProperties: false },
);
const PagesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 20 })),
  },
  { additionalProperties: false },
);
const ListQuery = Type.Object(
  {
    state: Type.Optional(Type.Enum(CRAWL_STATES)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 20 })),
    tenant: Type.Optional(Type.String({ maxLength: 32, description: "Operators: one tenant's crawls only" })),
  },
  { additionalProperties: false },
);
const tags = ['crawls'];

interface IdRoute {
  Params: { id: string };
  Querystring: { wait?: number };
}
interface PagesRoute {
  Params: { id: string };
  Querystring: { limit?: number; cursor?: string };
}

/** The Crawls part of the API, on the app's crawl service. */
export default async function crawlRoutes(app: FastifyInstance): Promise<void> {
  const { crawls } = app;
  app.post<{ Body: CrawlRequest }>(
    '/crawls',
    {
      config: { submits: true },
      schema: {
        tags,
        summary: 'Start a recursive crawl from a seed URL',
        body: CrawlRequest,
        response: { 202: Type.Object({ id: Type.String(), url: Type.String() }), ...errorReplies(400, 413) },
      },
    },
    async (request, reply) => {
      const id = await crawls.start(request.body, app.apiKeys.scope(request));
      return reply.code(202).send({ id, url: `/v1/crawls/${id}` });
    },
  );

  app.get<IdRoute>(
    '/crawls/:id',
    {
      schema: {
        tags,
        summary: 'A crawl and its stats; ?wait=ms waits for it to finish',
        params: IdParams,
        querystring: WaitQuery,
        response: { 200: CrawlView, ...errorReplies(400, 404) },
      },
    },
    async (request) => {
      const { wait } = request.query;
      const scope = app.apiKeys.scope(request);
      return wait
        ? holdingWait(request, () => crawls.watch(request.params.id, wait, scope))
        : crawls.get(request.params.id, scope);
    },
  );

  app.get<PagesRoute>(
    '/crawls/:id/pages',
    {
      schema: {
        tags,
        summary: 'The page records of a crawl; Accept: application/x-ndjson streams them all',
        params: IdParams,
        querystring: PagesQuery,
        response: {
          200: Type.Object({ items: Type.Array(PageRecord), next: Type.Union([Type.String(), Type.Null()]) }),
          ...errorReplies(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const scope = app.apiKeys.scope(request);
      if ((request.headers.accept ?? '').includes('application/x-ndjson')) {
        return reply.type('application/x-ndjson').send(await crawls.stream(id, scope));
      }
      const cursor = request.query.cursor ?? '0';
      if (!/^\d{1,15}$/.test(cursor))
        throw new ValidationError('querystring.cursor', 'is not a cursor this API gave out');
      return crawls.pages(id, Number(cursor), request.query.limit ?? 100, scope);
    },
  );

  app.delete<IdRoute>(
    '/crawls/:id',
    {
      schema: {
        tags,
        summary: 'Stop a crawl: nothing new is fetched, queued pages go',
        params: IdParams,
        response: { 200: CrawlView, ...errorReplies(404, 409) },
      },
    },
    async (request) => crawls.cancel(request.params.id, app.apiKeys.scope(request)),
  );

  app.get<{ Querystring: CrawlListQuery }>(
    '/crawls',
    {
      schema: {
        tags,
        summary: "List crawls, newest first: your own (operators: every tenant's)",
        querystring: ListQuery,
        response: {
          200: Type.Object({ items: Type.Array(CrawlView), next: Type.Union([Type.String(), Type.Null()]) }),
          ...errorReplies(400),
        },
      },
    },
    async (request) => crawls.list(app.apiKeys.scope(request), { ...request.query, limit: request.query.limit ?? 100 }),
  );
}
