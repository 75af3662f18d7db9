import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@crawlfleet/api';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, silentLogger, testConfig } from './helpers/harness.js';

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
    expect(await none.json()).toMatchObject({ statusCode: 401, code: 'CF_ERR_UNAUTHORIZED', message: 'Unauthorized: send Authorization: Bearer <key>' });
    const wrong = await fetch(`${base}/v1/queues`, { headers: { authorization: 'Bearer not-the-key-at-all' } });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).message).toBe('Unauthorized: the API key is not valid');
    expect((await fetch(`${base}/v1/queues`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/v1/queues`, { headers: { authorization: 'Bearer other-key-0123456789' } })).status).toBe(200);
  });

  it('keeps health, readiness, docs and metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/docs/json', '/metrics']) expect((await fetch(`${base}${path}`)).status, path).toBe(200);
  });

  it('guards the dashboard with the same keys', async () => {
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    const page = await fetch(`${base}/admin/queues`, { headers: auth });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<title>crawlfleet<\/title>|bull/i);
    const api = await fetch(`${base}/admin/queues/api/queues`, { headers: auth });
    const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((queue) => queue.name);
    expect(names.sort()).toEqual(['crawl', 'fibonacci', 'sqrt']);
  });
});

describe('OpenAPI', () => {
  it('documents every route with its inputs, results and errors', async () => {
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> };
    const expected = ['/v1/jobs/sqrt', '/v1/jobs/fibonacci', '/v1/jobs/crawl', '/v1/jobs/sqrt/batch', '/v1/jobs/sqrt/{id}', '/v1/crawls', '/v1/crawls/{id}', '/v1/crawls/{id}/pages', '/v1/queues', '/v1/queues/{type}/pause', '/v1/queues/{type}/resume', '/healthz', '/readyz', '/metrics'];
    for (const path of expected) expect(doc.paths[path], path).toBeDefined();
    expect(Object.keys(doc.paths).some((path) => path.includes('{type}/') && path.startsWith('/v1/jobs'))).toBe(false);
    const submit = doc.paths['/v1/jobs/fibonacci']!.post!;
    expect(JSON.stringify(submit.requestBody)).toContain('"maximum":1000000');
    expect(Object.keys(submit.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '404', '413', '503']));
    expect((await fetch(`${base}/docs`, { redirect: 'follow' })).status).toBe(200);
  });
});

describe('metrics', () => {
  it('count completed sqrt jobs and time HTTP requests by route', async () => {
    const reply = await fetch(`${base}/v1/jobs/sqrt?wait=10000`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"value": 16}' });
    expect((await reply.json()).result.sqrt).toBe(4);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('bullmq_job_count{queue="sqrt", state="completed"} 1');
    expect(text).toMatch(/bullmq_job_completed_total\{queue="sqrt"\} 1/);
    expect(text).toMatch(/crawlfleet_http_request_duration_seconds_count\{method="POST",route="\/v1\/jobs\/sqrt",status_code="200"\} 1/);
    // One HELP and TYPE per metric family, as Prometheus requires.
    const helps = text.split('\n').filter((line) => line.startsWith('# HELP '));
    expect(new Set(helps).size).toBe(helps.length);
  });
});
