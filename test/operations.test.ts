import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@crawlfleet/api';
import { serveMetrics, startWorker, type RunningWorker } from '@crawlfleet/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bodyOf, eventually, silentLogger, testConfig } from '@crawlfleet/testkit';

/* Docs, metrics, dashboard and API keys, through real HTTP. */

const KEY = 'test-key-0123456789abcdef';
let app: FastifyInstance;
let worker: RunningWorker;
let base = '';

beforeAll(async () => {
  const config = testConfig(inject('redisUrl'), { API_KEYS: `other-key-0123456789,${KEY}` });
  app = await buildApp(config, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  worker = await startWorker({ config, queue: 'sqrt', logger: silentLogger });
  await eventually(() => app.jobQueues.ready);
});
afterAll(async () => {
  await worker.close(5000);
  await app.close();
});

const auth = { authorization: `Bearer ${KEY}` };

describe('API keys', () => {
  it('refuses /v1 without a key or with a wrong one (401), accepts the right one', async () => {
    const none = await fetch(`${base}/v1/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({
      statusCode: 401,
      code: 'CF_ERR_UNAUTHORIZED',
      message: 'Unauthorized: send Authorization: Bearer <key>',
    });
    const wrong = await fetch(`${base}/v1/queues`, { headers: { authorization: 'Bearer not-the-key-at-all' } });
    expect(wrong.status).toBe(401);
    expect((await bodyOf(wrong)).message).toBe('Unauthorized: the API key is not valid');
    expect((await fetch(`${base}/v1/queues`, { headers: auth })).status).toBe(200);
    expect(
      (await fetch(`${base}/v1/queues`, { headers: { authorization: 'Bearer other-key-0123456789' } })).status,
    ).toBe(200);
  });

  it('keeps health, readiness, docs and metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/docs/json', '/metrics'])
      expect((await fetch(`${base}${path}`)).status, path).toBe(200);
  });

  it('guards the dashboard with the same keys', async () => {
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    const page = await fetch(`${base}/admin/queues`, { headers: auth });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<title>crawlfleet<\/title>|bull/i);
    const api = await fetch(`${base}/admin/queues/api/queues`, { headers: auth });
    const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((queue) => queue.name);
    expect(names.sort()).toEqual(['crawl', 'fibonacci', 'render', 'sqrt', 'webhook']);
  });
});

describe('OpenAPI', () => {
  it('documents every route with its inputs, results and errors', async () => {
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    };
    const expected = [
      '/v1/jobs/sqrt',
      '/v1/jobs/fibonacci',
      '/v1/jobs/crawl',
      '/v1/jobs/sqrt/batch',
      '/v1/jobs/sqrt/{id}',
      '/v1/crawls',
      '/v1/crawls/{id}',
      '/v1/crawls/{id}/pages',
      '/v1/queues',
      '/v1/queues/{type}/pause',
      '/v1/queues/{type}/resume',
      '/healthz',
      '/readyz',
      '/metrics',
    ];
    for (const path of expected) expect(doc.paths[path], path).toBeDefined();
    expect(Object.keys(doc.paths).some((path) => path.includes('{type}/') && path.startsWith('/v1/jobs'))).toBe(false);
    const submit = doc.paths['/v1/jobs/fibonacci'].post;
    expect(JSON.stringify(resolved(doc, submit.requestBody))).toContain('"maximum":1000000');
    expect(Object.keys(submit.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '404', '413', '503']));
    expect((await fetch(`${base}/docs`, { redirect: 'follow' })).status).toBe(200);
  });
});

/** `value` with every `$ref` of the document replaced by what it names. */
function resolved(doc: unknown, value: unknown, depth = 0): unknown {
  if (depth > 20 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => resolved(doc, item, depth + 1));
  const ref = (value as { $ref?: string }).$ref;
  if (ref) {
    const target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((at, part) => (at as Record<string, unknown>)[part], doc);
    return resolved(doc, target, depth + 1);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolved(doc, item, depth + 1)]));
}

describe('OpenAPI for client generators', () => {
  type Operation = { operationId?: string; summary?: string; responses: Record<string, unknown> };
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );

  beforeAll(async () => {
    doc = (await (await fetch(`${base}/docs/json`)).json()) as typeof doc;
  });

  it('names every operation (operationId) and sums each up in its own words', () => {
    const all = operations();
    expect(all.length).toBeGreaterThan(30);
    const ids = all.map(({ operation }) => operation.operationId);
    expect(
      ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id)),
      ids.join(' '),
    ).toBe(true);
    expect(new Set(ids).size).toBe(all.length);
    const summaries = all.map(({ operation }) => operation.summary);
    expect(summaries.every(Boolean)).toBe(true);
    expect(new Set(summaries).size).toBe(all.length);
  });

  it('declares 401, 403, 429 and 503 on every /v1 operation, 404 where an id is in the path', () => {
    for (const { path, method, operation } of operations()) {
      if (!path.startsWith('/v1/')) continue;
      const statuses = Object.keys(operation.responses);
      expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403', '429', '503']));
      if (path.includes('{')) expect(statuses, `${method} ${path}`).toContain('404');
    }
  });

  it('shares request and result shapes as components, and a generated client stays small and compiles', async () => {
    const { schemas } = doc.components;
    for (const name of ['Error', 'Crawl', 'CrawlRequest', 'PageRecord', 'SqrtJob', 'Queue'])
      expect(schemas[name], name).toBeDefined();
    const crawl = doc.paths['/v1/crawls/{id}'].get.responses['200'];
    expect(JSON.stringify(resolved(doc, crawl))).toContain('"seed":');
    expect(JSON.stringify(crawl)).toMatch(/"\$ref":"#\/components\/(schemas|responses)\/Crawl"/);
    const { default: openapiTS, astToString } = await import('openapi-typescript');
    const types = astToString(await openapiTS(doc as never));
    // 3,770 lines with every shape inline, 2,431 now; the per-type job routes (3 x 8 operations) keep it above 1,500.
    expect(types.split('\n').length).toBeLessThan(2500);
    const ts = await import('typescript');
    const file = 'client.d.ts';
    const host = ts.createCompilerHost({ strict: true, noEmit: true });
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (name, ...rest) =>
      name === file ? ts.createSourceFile(file, types, ts.ScriptTarget.ES2022) : read(name, ...rest);
    const program = ts.createProgram([file], { strict: true, noEmit: true, types: [] }, host);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  });
});

describe('metrics', () => {
  it('count completed sqrt jobs and time HTTP requests by route', async () => {
    const reply = await fetch(`${base}/v1/jobs/sqrt?wait=10000`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"value": 16}',
    });
    expect((await bodyOf(reply)).result.sqrt).toBe(4);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('bullmq_job_count{queue="sqrt", state="completed"} 1');
    expect(text).toMatch(/bullmq_job_completed_total\{queue="sqrt"\} 1/);
    expect(text).toMatch(
      /crawlfleet_http_request_duration_seconds_count\{method="POST",route="\/v1\/jobs\/sqrt",status_code="200"\} 1/,
    );
    // One HELP and TYPE per metric family, as Prometheus requires.
    const helps = text.split('\n').filter((line) => line.startsWith('# HELP '));
    expect(new Set(helps).size).toBe(helps.length);
  });
});

/** Reads server-sent events until the stream ends; returns [event, data] pairs. */
async function readEvents(url: string, headers: Record<string, string>): Promise<[string, unknown][]> {
  const reply = await fetch(url, { headers });
  expect(reply.headers.get('content-type')).toMatch(/text\/event-stream/);
  const text = await reply.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return [eventLine.slice('event: '.length), JSON.parse(dataLine.slice('data: '.length))];
    });
}

describe('worker metrics', () => {
  it('serve job duration histograms per queue over HTTP', async () => {
    const server = await serveMetrics(worker.metrics, 0, '127.0.0.1');
    try {
      await fetch(`${base}/v1/jobs/sqrt?wait=10000`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"value": 1}',
      });
      const port = (server.address() as AddressInfo).port;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toMatch(/crawlfleet_job_duration_seconds_count\{queue="sqrt",outcome="completed"\} [1-9]/);
      expect(text).toMatch(/crawlfleet_jobs_finished_total\{queue="sqrt",outcome="completed"\} [1-9]/);
      expect(text).toContain('crawlfleet_worker_nodejs_eventloop_lag_seconds');
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});

describe('live events', () => {
  it('streams a job to its completed event, then ends', async () => {
    const accepted = await fetch(`${base}/v1/jobs/sqrt?delay=300`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"value": 25}',
    });
    const { id } = await bodyOf(accepted);
    const events = await readEvents(`${base}/v1/jobs/sqrt/${id}/events`, auth);
    expect(events[0]).toEqual(['state', { state: 'delayed' }]);
    expect(events.at(-1)![0]).toBe('completed');
    expect(events.at(-1)![1]).toMatchObject({ id, state: 'completed', result: { sqrt: 5 } });
  });

  it('serves several clients at once and leaves no listeners behind', async () => {
    const events = app.jobQueues.queueEvents('sqrt');
    const before = events.listenerCount('completed');
    const accepted = await fetch(`${base}/v1/jobs/sqrt?delay=300`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"value": 36}',
    });
    const { id } = await bodyOf(accepted);
    const all = await Promise.all([1, 2, 3].map(() => readEvents(`${base}/v1/jobs/sqrt/${id}/events`, auth)));
    for (const stream of all) expect(stream.at(-1)![0]).toBe('completed');
    // A client that goes away early.
    const controller = new AbortController();
    const early = await fetch(`${base}/v1/jobs/sqrt/${id}/events`, { headers: auth, signal: controller.signal }).catch(
      () => null,
    );
    controller.abort();
    await early?.body?.cancel().catch(() => {});
    await eventually(() => events.listenerCount('completed') === before, 2000, 'listeners removed');
  });
});

describe('schedules', () => {
  it('runs a job every second until the schedule is deleted', async () => {
    const post = (body: unknown) =>
      fetch(`${base}/v1/schedules/sqrt`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post({ id: 'every-second', every: 1000, input: { value: 49 } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      id: 'every-second',
      type: 'sqrt',
      every: 1000,
      cron: null,
      input: { value: 49 },
    });
    const listed = await bodyOf(await fetch(`${base}/v1/schedules`, { headers: auth }));
    expect(listed.schedules.map((schedule: { id: string }) => schedule.id)).toContain('every-second');
    const completed = async () =>
      (await app.jobQueues.queue('sqrt').getJobs(['completed'], 0, 1000)).filter((job) => job.data.value === 49).length;
    await eventually(async () => (await completed()) >= 2, 6000, 'two scheduled runs');
    const removed = await fetch(`${base}/v1/schedules/sqrt/every-second`, { method: 'DELETE', headers: auth });
    expect(removed.status).toBe(204);
    const after = await completed();
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect(await completed()).toBe(after);
    expect((await fetch(`${base}/v1/schedules/sqrt/every-second`, { method: 'DELETE', headers: auth })).status).toBe(
      404,
    );
  });

  it.each([
    [{ id: 'bad-cron', cron: 'every tuesday', input: { value: 1 } }, 'body.cron'],
    [{ id: 'too-fast', every: 10, input: { value: 1 } }, 'body.every'],
    [{ id: 'just-under', every: 999, input: { value: 1 } }, 'body.every', 'body.every must be >= 1000'],
    [{ id: 'both', every: 5000, cron: '* * * * *', input: { value: 1 } }, 'body.every'],
    [{ id: 'neither', input: { value: 1 } }, 'body.every'],
    [{ id: 'bad-input', every: 5000, input: { value: -1 } }, 'body.input.value'],
    [
      { id: 'a b/c', every: 5000, input: { value: 1 } },
      'body.id',
      'body.id must be 1 to 100 letters, digits, _ . or -',
    ],
    [{ id: '', every: 5000, input: { value: 1 } }, 'body.id', 'body.id must be 1 to 100 letters, digits, _ . or -'],
  ])('answers %j with a 400 naming %s', async (body, field, message?: string) => {
    const reply = await fetch(`${base}/v1/schedules/sqrt`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(reply.status).toBe(400);
    const json = await bodyOf(reply);
    expect(json.field).toBe(field);
    if (message) expect(json.message).toBe(message);
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After past the limit, per key, across API instances, then recovers', async () => {
    const config = testConfig(inject('redisUrl'), { API_KEYS: KEY, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '1500' });
    const [one, two] = [await buildApp(config, { logger: false }), await buildApp(config, { logger: false })];
    try {
      await eventually(() => one.jobQueues.ready && two.jobQueues.ready);
      const call = (instance: FastifyInstance) => instance.inject({ url: '/v1/queues', headers: auth });
      const statuses = [];
      for (const instance of [one, two, one]) statuses.push((await call(instance)).statusCode);
      expect(statuses).toEqual([200, 200, 200]);
      const limited = await call(two);
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.json()).toMatchObject({ statusCode: 429, code: 'CF_ERR_RATE_LIMITED' });
      expect((await one.inject({ url: '/healthz' })).statusCode).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      expect((await call(one)).statusCode).toBe(200);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
