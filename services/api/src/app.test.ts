import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, testConfig, postJson } from '@crawlfleet/testkit';
import { buildApp } from './app.js';

/*
 * The API through app.inject(), against the run's real redis-server. No
 * worker runs here, so jobs stay queued; flows with workers are in test/.
 */

let app: FastifyInstance;

beforeAll(async () => {
  app = await buildApp(testConfig(inject('redisUrl')), { logger: false });
  await eventually(() => app.jobQueues.ready, 10_000, 'Redis connection');
});
afterAll(async () => {
  await app.close();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => postJson(app, url, payload, headers);

describe('POST /v1/jobs/{type}', () => {
  it('accepts a job with 202 and shows it as waiting', async () => {
    const reply = await post('/v1/jobs/sqrt', { value: 9 });
    expect(reply.statusCode).toBe(202);
    const body = reply.json();
    expect(body).toEqual({ id: expect.any(String), type: 'sqrt', state: 'waiting', url: `/v1/jobs/sqrt/${body.id}` });
    const job = await app.inject({ url: body.url });
    expect(job.statusCode).toBe(200);
    expect(job.json()).toMatchObject({
      id: body.id, type: 'sqrt', state: 'waiting', input: { value: 9 }, result: null, error: null, attempts: 0,
      startedAt: null, finishedAt: null,
    });
    expect(Date.parse(job.json().createdAt)).toBeGreaterThan(0);
  });

  it.each([
    ['sqrt', '{"value": -1}', 'body.value', 'body.value must be >= 0'],
    ['sqrt', '{"value": 1e999}', 'body.value', 'body.value must be a finite number'],
    ['sqrt', '{"value": "4"}', 'body.value', 'body.value must be a finite number'],
    ['sqrt', '{"value": null}', 'body.value', 'body.value must be a finite number'],
    ['sqrt', '{}', 'body.value', 'body.value is required'],
    ['sqrt', '{"value": 1, "extra": 2}', 'body.extra', 'body.extra is not allowed'],
    ['sqrt', '[1]', 'body', 'body must be object'],
    ['sqrt', '"text"', 'body', 'body must be object'],
    ['sqrt', '42', 'body', 'body must be object'],
    ['fibonacci', '{"n": 1.5}', 'body.n', 'body.n must be a finite integer'],
    ['fibonacci', '{"n": -1}', 'body.n', 'body.n must be >= 0'],
    ['fibonacci', '{"n": 1000001}', 'body.n', 'body.n must be <= 1000000'],
    ['crawl', '{"url": "ftp://example.org/"}', 'body.url', 'body.url must be an absolute http:// or https:// URL, without user:password@'],
    ['crawl', '{"url": "javascript:alert(1)"}', 'body.url', 'body.url must be an absolute http:// or https:// URL, without user:password@'],
    ['crawl', '{"url": "http://exa mple.org/"}', 'body.url', 'body.url must be an absolute http:// or https:// URL, without user:password@'],
    ['crawl', '{"url": "http:/a.test/"}', 'body.url', 'body.url must be an absolute http:// or https:// URL, without user:password@'],
    ['crawl', '{"url": "http://a.test:99999/"}', 'body.url', 'body.url must be an absolute http:// or https:// URL, without user:password@'],
    ['crawl', '{"url": "http://[zz/"}', 'body.url', 'body.url must be an absolute http:// or https:// URL, without user:password@'],
    ['crawl', '{"url": "https://user:secret@a.test/"}', 'body.url', 'body.url must be an absolute http:// or https:// URL, without user:password@'],
    ['crawl', '{"url": 5}', 'body.url', 'body.url must be string'],
    ['crawl', '{}', 'body.url', 'body.url is required'],
  ])('%s %s is a 400 naming %s', async (type, payload, field, message) => {
    const reply = await post(`/v1/jobs/${type}`, payload);
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toEqual({ statusCode: 400, error: 'Bad Request', code: 'CF_ERR_VALIDATION', message, field });
  });

  it('answers malformed JSON with 400', async () => {
    const reply = await post('/v1/jobs/sqrt', '{"value": ');
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ code: 'CF_ERR_INVALID_JSON', message: expect.stringMatching(/not valid JSON/) });
  });

  it('answers an empty JSON body with 400', async () => {
    const reply = await post('/v1/jobs/sqrt', '');
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ code: 'CF_ERR_VALIDATION', field: 'body' });
  });

  it('answers a body over 1 MiB with 413', async () => {
    const reply = await post('/v1/jobs/sqrt', `{"value": 1, "pad": "${'x'.repeat(1024 * 1024)}"}`);
    expect(reply.statusCode).toBe(413);
    expect(reply.json()).toMatchObject({ statusCode: 413, code: 'CF_ERR_PAYLOAD_TOO_LARGE' });
  });

  it('answers an unsupported content type with 415', async () => {
    const reply = await app.inject({ method: 'POST', url: '/v1/jobs/sqrt', headers: { 'content-type': 'application/xml' }, payload: '<v/>' });
    expect(reply.statusCode).toBe(415);
    expect(reply.json()).toMatchObject({ code: 'CF_ERR_UNSUPPORTED_MEDIA_TYPE' });
  });

  it.each([
    ['wait=abc', 'querystring.wait', /must be a finite integer/],
    ['wait=30001', 'querystring.wait', /must be <= 30000/],
    ['priority=-1', 'querystring.priority', /must be >= 0/],
    ['attempts=0', 'querystring.attempts', /must be >= 1/],
    ['delay=1.5', 'querystring.delay', /must be a finite integer/],
    ['wiat=100', 'querystring.wiat', /is not allowed/],
  ])('answers ?%s with a 400 naming %s', async (query, field, message) => {
    const reply = await post(`/v1/jobs/sqrt?${query}`, { value: 1 });
    expect(reply.statusCode).toBe(400);
    expect(reply.json().field).toBe(field);
    expect(reply.json().message).toMatch(message);
  });

  it('sets delay, priority and attempts', async () => {
    const delayed = await post('/v1/jobs/sqrt?delay=60000&attempts=5', { value: 1 });
    expect(delayed.json().state).toBe('delayed');
    const view = await app.inject({ url: delayed.json().url });
    expect(view.json().state).toBe('delayed');
    const prioritized = await post('/v1/jobs/sqrt?priority=3', { value: 1 });
    expect(prioritized.json().state).toBe('prioritized');
    const job = await app.jobQueues.queue('sqrt').getJob(delayed.json().id);
    expect(job?.opts).toMatchObject({ attempts: 5, delay: 60000, backoff: { type: 'exponential', delay: 1000 } });
    expect(job?.opts.removeOnComplete).toEqual({ age: 86400 });
  });

  it('answers 202 when ?wait runs out before a worker finishes the job', async () => {
    const started = Date.now();
    const reply = await post('/v1/jobs/fibonacci?wait=300', { n: 10 });
    expect(reply.statusCode).toBe(202);
    expect(reply.json().state).toBe('waiting');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe('Idempotency-Key', () => {
  it('returns the same job for the same key and input', async () => {
    const first = await post('/v1/jobs/sqrt', { value: 4 }, { 'idempotency-key': 'order-17' });
    const second = await post('/v1/jobs/sqrt', { value: 4 }, { 'idempotency-key': 'order-17' });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json().id).toBe(first.json().id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const counts = await app.jobQueues.queue('sqrt').getJobs(['waiting']);
    expect(counts.filter((job) => job.id === first.json().id)).toHaveLength(1);
  });

  it('keeps keys apart per type', async () => {
    const sqrt = await post('/v1/jobs/sqrt', { value: 4 }, { 'idempotency-key': 'shared' });
    const fib = await post('/v1/jobs/fibonacci', { n: 4 }, { 'idempotency-key': 'shared' });
    expect(sqrt.statusCode).toBe(202);
    expect(fib.statusCode).toBe(202);
    expect(fib.json().type).toBe('fibonacci');
  });

  it('refuses the same key with another input (409)', async () => {
    await post('/v1/jobs/sqrt', { value: 4 }, { 'idempotency-key': 'order-18' });
    const reply = await post('/v1/jobs/sqrt', { value: 5 }, { 'idempotency-key': 'order-18' });
    expect(reply.statusCode).toBe(409);
    expect(reply.json()).toMatchObject({ code: 'CF_ERR_IDEMPOTENCY_CONFLICT' });
  });

  it('returns the same batch for the same key and inputs, and refuses other inputs or another length (409)', async () => {
    const inputs = [{ value: 1 }, { value: 2 }, { value: 3 }];
    const first = await post('/v1/jobs/sqrt/batch', inputs, { 'idempotency-key': 'batch-7' });
    expect(first.statusCode).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post('/v1/jobs/sqrt/batch', inputs, { 'idempotency-key': 'batch-7' });
    expect(again.statusCode).toBe(202);
    expect(again.json().ids).toEqual(first.json().ids);
    expect(again.headers['idempotent-replayed']).toBe('true');
    for (const other of [[{ value: 1 }, { value: 2 }, { value: 4 }], [{ value: 1 }, { value: 2 }], [...inputs, { value: 4 }]]) {
      const reply = await post('/v1/jobs/sqrt/batch', other, { 'idempotency-key': 'batch-7' });
      expect(reply.statusCode, JSON.stringify(other)).toBe(409);
      expect(reply.json()).toMatchObject({ code: 'CF_ERR_IDEMPOTENCY_CONFLICT' });
    }
    const jobs = await Promise.all(first.json().ids.map((id: string) => app.inject({ url: `/v1/jobs/sqrt/${id}` })));
    expect(jobs.map((job) => job.json().input)).toEqual(inputs);
    expect((await app.inject({ url: `/v1/jobs/sqrt/${first.json().ids[0].replace(/-0$/, '-3')}` })).statusCode).toBe(404);
  });

  it('refuses a key over 255 characters', async () => {
    const reply = await post('/v1/jobs/sqrt', { value: 4 }, { 'idempotency-key': 'k'.repeat(256) });
    expect(reply.statusCode).toBe(400);
    expect(reply.json().field).toBe('headers.idempotency-key');
  });
});

describe('POST /v1/jobs/{type}/batch', () => {
  it('accepts up to 1000 jobs in one call', async () => {
    const inputs = Array.from({ length: 1000 }, (_, i) => ({ value: i }));
    const reply = await post('/v1/jobs/sqrt/batch', inputs);
    expect(reply.statusCode).toBe(202);
    const { ids } = reply.json();
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
    const job = await app.inject({ url: `/v1/jobs/sqrt/${ids[999]}` });
    expect(job.json().input).toEqual({ value: 999 });
  });

  it('rejects the whole batch naming the bad item', async () => {
    const before = await app.jobQueues.queue('sqrt').getWaitingCount();
    const reply = await post('/v1/jobs/sqrt/batch', [{ value: 1 }, { value: 2 }, { value: -3 }]);
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ field: 'body[2].value', message: 'body[2].value must be >= 0' });
    expect(await app.jobQueues.queue('sqrt').getWaitingCount()).toBe(before);
  });

  it('rejects a crawl batch naming the URL the parser refuses', async () => {
    const reply = await post('/v1/jobs/crawl/batch', [{ url: 'https://a.test/' }, { url: 'http://[zz/' }]);
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ field: 'body[1].url', message: 'body[1].url must be an absolute http:// or https:// URL, without user:password@' });
  });

  it.each([
    ['[]', 'body must NOT have fewer than 1 items'],
    [JSON.stringify(Array.from({ length: 1001 }, () => ({ value: 1 }))), 'body must NOT have more than 1000 items'],
    ['{"value": 1}', 'body must be array'],
  ])('rejects %#', async (payload, message) => {
    const reply = await post('/v1/jobs/sqrt/batch', payload);
    expect(reply.statusCode).toBe(400);
    expect(reply.json().message).toBe(message);
  });

  it('gives the same ids for a repeated Idempotency-Key', async () => {
    const first = await post('/v1/jobs/fibonacci/batch', [{ n: 1 }, { n: 2 }], { 'idempotency-key': 'batch-1' });
    const second = await post('/v1/jobs/fibonacci/batch', [{ n: 1 }, { n: 2 }], { 'idempotency-key': 'batch-1' });
    expect(second.json().ids).toEqual(first.json().ids);
  });
});

describe('GET and DELETE /v1/jobs/{type}/{id}', () => {
  it('answers 404 for a job that does not exist', async () => {
    const reply = await app.inject({ url: '/v1/jobs/sqrt/does-not-exist' });
    expect(reply.statusCode).toBe(404);
    expect(reply.json()).toEqual({
      statusCode: 404, error: 'Not Found', code: 'CF_ERR_JOB_NOT_FOUND',
      message: 'No sqrt job with id "does-not-exist": it never existed, was removed, or has expired',
    });
  });

  it('answers 404 for an unknown type on every job and schedule route', async () => {
    const routes = [
      ['POST', '/v1/jobs/email'], ['POST', '/v1/jobs/email/batch'], ['GET', '/v1/jobs/email/1'], ['DELETE', '/v1/jobs/email/1'],
      ['GET', '/v1/jobs/email/1/events'], ['POST', '/v1/schedules/email'], ['DELETE', '/v1/schedules/email/daily'],
    ] as const;
    for (const [method, url] of routes) {
      const reply = await app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: '{}' });
      expect(reply.statusCode).toBe(404);
      expect(reply.json()).toMatchObject({ code: 'CF_ERR_UNKNOWN_TYPE', message: expect.stringContaining('"email"') });
    }
  });

  it('answers 404 for an unknown route', async () => {
    const reply = await app.inject({ url: '/v2/anything' });
    expect(reply.statusCode).toBe(404);
    expect(reply.json()).toMatchObject({ code: 'CF_ERR_NOT_FOUND' });
  });

  it('answers a path that is not valid percent-encoding with 400, in the API error shape', async () => {
    for (const url of ['/v1/jobs/sqrt/%zz', '/v1/crawls/%E0%A4%A']) {
      const reply = await app.inject({ url });
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toEqual({
        statusCode: 400, error: 'Bad Request', code: 'CF_ERR_BAD_URL', message: `The URL path is not valid percent-encoding: "${url}"`, field: 'params',
      });
    }
  });

  it('answers an id longer than 100 characters with 414, without echoing it', async () => {
    const reply = await app.inject({ url: `/v1/jobs/sqrt/${'a'.repeat(3000)}` });
    expect(reply.statusCode).toBe(414);
    expect(reply.json()).toEqual({
      statusCode: 414, error: 'URI Too Long', code: 'CF_ERR_PARAM_TOO_LONG',
      message: 'An id or type in the URL path is longer than 100 characters', field: 'params',
    });
    expect((await app.inject({ url: `/v1/jobs/sqrt/${'a'.repeat(100)}` })).json().code).toBe('CF_ERR_JOB_NOT_FOUND');
  });

  it('removes a waiting job (204), then it is gone', async () => {
    const { url } = (await post('/v1/jobs/sqrt', { value: 1 })).json();
    const reply = await app.inject({ method: 'DELETE', url });
    expect(reply.statusCode).toBe(204);
    expect((await app.inject({ url })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url })).statusCode).toBe(404);
  });

  it('removes a delayed job', async () => {
    const { url } = (await post('/v1/jobs/crawl?delay=60000', { url: 'https://example.org/' })).json();
    expect((await app.inject({ method: 'DELETE', url })).statusCode).toBe(204);
  });

  it('answers ?wait on GET with the job after the wait runs out', async () => {
    const { url } = (await post('/v1/jobs/sqrt', { value: 1 })).json();
    const reply = await app.inject({ url: `${url}?wait=200` });
    expect(reply.statusCode).toBe(200);
    expect(reply.json().state).toBe('waiting');
  });
});

describe('queues and health', () => {
  it('lists every queue with counts, workers and pause state', async () => {
    const reply = await app.inject({ url: '/v1/queues' });
    expect(reply.statusCode).toBe(200);
    const { queues } = reply.json();
    expect(queues.map((queue: { type: string }) => queue.type)).toEqual(['sqrt', 'fibonacci', 'crawl']);
    expect(queues[0]).toMatchObject({ paused: false, workers: 0, counts: { waiting: expect.any(Number), active: 0, completed: 0 } });
    expect(queues[0].counts.waiting).toBeGreaterThan(0);
  });

  it('pauses and resumes a queue', async () => {
    const paused = await app.inject({ method: 'POST', url: '/v1/queues/crawl/pause' });
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ type: 'crawl', paused: true });
    const resumed = await app.inject({ method: 'POST', url: '/v1/queues/crawl/resume' });
    expect(resumed.json()).toMatchObject({ type: 'crawl', paused: false });
  });

  it('answers 404 when pausing an unknown queue', async () => {
    const reply = await app.inject({ method: 'POST', url: '/v1/queues/email/pause' });
    expect(reply.statusCode).toBe(404);
    expect(reply.json().code).toBe('CF_ERR_UNKNOWN_TYPE');
  });

  it('is healthy and ready', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
  });
});
