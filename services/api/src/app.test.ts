import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postJson, testApi } from '@crawlfleet/testkit';
import { buildApp } from './app.js';

/*
 * The API through app.inject(), against the run's real redis-server. No
 * worker runs here, so jobs stay queued; flows with workers are in test/.
 * Submitting here; batches, reads and removal in app-reads.test.ts.
 */

let app: FastifyInstance;
beforeAll(async () => (app = await testApi(buildApp, inject('redisUrl'))));
afterAll(() => app.close());

/** Bad inputs and the 400 each gets (a table: bad-inputs.json). */
const BAD_INPUTS = JSON.parse(readFileSync(new URL('./bad-inputs.json', import.meta.url), 'utf8')) as {
  type: string;
  payload: string;
  message: string;
}[];

describe('POST /v1/jobs/{type}', () => {
  it('accepts a job with 202 and shows it as waiting', async () => {
    const reply = await postJson(app, '/v1/jobs/sqrt', { value: 9 });
    expect(reply.statusCode).toBe(202);
    const body = reply.json();
    expect(body).toEqual({ id: expect.any(String), type: 'sqrt', state: 'waiting', url: `/v1/jobs/sqrt/${body.id}` });
    const job = await app.inject({ url: body.url });
    expect(job.statusCode).toBe(200);
    expect(job.json()).toMatchObject({
      id: body.id,
      type: 'sqrt',
      state: 'waiting',
      input: { value: 9 },
      result: null,
      error: null,
      attempts: 0,
      startedAt: null,
      finishedAt: null,
    });
    expect(Date.parse(job.json().createdAt)).toBeGreaterThan(0);
  });

  it.each(BAD_INPUTS)('$type $payload is a 400: $message', async ({ type, payload, message }) => {
    const field = message.split(' ')[0];
    const reply = await postJson(app, `/v1/jobs/${type}`, payload);
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toEqual({ statusCode: 400, error: 'Bad Request', code: 'CF_ERR_VALIDATION', message, field });
  });

  it('answers malformed JSON with 400', async () => {
    const reply = await postJson(app, '/v1/jobs/sqrt', '{"value": ');
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({
      code: 'CF_ERR_INVALID_JSON',
      message: expect.stringMatching(/not valid JSON/),
    });
  });

  it('answers an empty JSON body with 400', async () => {
    const reply = await postJson(app, '/v1/jobs/sqrt', '');
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ code: 'CF_ERR_VALIDATION', field: 'body' });
  });

  it('answers a body over 1 MiB with 413', async () => {
    const reply = await postJson(app, '/v1/jobs/sqrt', `{"value": 1, "pad": "${'x'.repeat(1024 * 1024)}"}`);
    expect(reply.statusCode).toBe(413);
    expect(reply.json()).toMatchObject({ statusCode: 413, code: 'CF_ERR_PAYLOAD_TOO_LARGE' });
  });

  it('answers an unsupported content type with 415', async () => {
    const reply = await app.inject({
      method: 'POST',
      url: '/v1/jobs/sqrt',
      headers: { 'content-type': 'application/xml' },
      payload: '<v/>',
    });
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
    const reply = await postJson(app, `/v1/jobs/sqrt?${query}`, { value: 1 });
    expect(reply.statusCode).toBe(400);
    expect(reply.json().field).toBe(field);
    expect(reply.json().message).toMatch(message);
  });

  it('sets delay, priority and attempts', async () => {
    const delayed = await postJson(app, '/v1/jobs/sqrt?delay=60000&attempts=5', { value: 1 });
    expect(delayed.json().state).toBe('delayed');
    const view = await app.inject({ url: delayed.json().url });
    expect(view.json().state).toBe('delayed');
    const prioritized = await postJson(app, '/v1/jobs/sqrt?priority=3', { value: 1 });
    expect(prioritized.json().state).toBe('prioritized');
    const job = await app.jobQueues.queue('sqrt').getJob(delayed.json().id);
    expect(job?.opts).toMatchObject({ attempts: 5, delay: 60000, backoff: { type: 'exponential', delay: 1000 } });
    expect(job?.opts.removeOnComplete).toEqual({ age: 86400 });
  });

  it('answers 202 when ?wait runs out before a worker finishes the job', async () => {
    const started = Date.now();
    const reply = await postJson(app, '/v1/jobs/fibonacci?wait=300', { n: 10 });
    expect(reply.statusCode).toBe(202);
    expect(reply.json().state).toBe('waiting');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe('Idempotency-Key', () => {
  it('returns the same job for the same key and input', async () => {
    const first = await postJson(app, '/v1/jobs/sqrt', { value: 4 }, { 'idempotency-key': 'order-17' });
    const second = await postJson(app, '/v1/jobs/sqrt', { value: 4 }, { 'idempotency-key': 'order-17' });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json().id).toBe(first.json().id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const counts = await app.jobQueues.queue('sqrt').getJobs(['waiting']);
    expect(counts.filter((job) => job.id === first.json().id)).toHaveLength(1);
  });

  it('keeps keys apart per type', async () => {
    const sqrt = await postJson(app, '/v1/jobs/sqrt', { value: 4 }, { 'idempotency-key': 'shared' });
    const fib = await postJson(app, '/v1/jobs/fibonacci', { n: 4 }, { 'idempotency-key': 'shared' });
    expect(sqrt.statusCode).toBe(202);
    expect(fib.statusCode).toBe(202);
    expect(fib.json().type).toBe('fibonacci');
  });

  it('refuses the same key with another input (409)', async () => {
    await postJson(app, '/v1/jobs/sqrt', { value: 4 }, { 'idempotency-key': 'order-18' });
    const reply = await postJson(app, '/v1/jobs/sqrt', { value: 5 }, { 'idempotency-key': 'order-18' });
    expect(reply.statusCode).toBe(409);
    expect(reply.json()).toMatchObject({ code: 'CF_ERR_IDEMPOTENCY_CONFLICT' });
  });

  it('returns the same batch for the same key and inputs, refuses other inputs or length (409)', async () => {
    const inputs = [{ value: 1 }, { value: 2 }, { value: 3 }];
    const first = await postJson(app, '/v1/jobs/sqrt/batch', inputs, { 'idempotency-key': 'batch-7' });
    expect(first.statusCode).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await postJson(app, '/v1/jobs/sqrt/batch', inputs, { 'idempotency-key': 'batch-7' });
    expect(again.statusCode).toBe(202);
    expect(again.json().ids).toEqual(first.json().ids);
    expect(again.headers['idempotent-replayed']).toBe('true');
    for (const other of [
      [{ value: 1 }, { value: 2 }, { value: 4 }],
      [{ value: 1 }, { value: 2 }],
      [...inputs, { value: 4 }],
    ]) {
      const reply = await postJson(app, '/v1/jobs/sqrt/batch', other, { 'idempotency-key': 'batch-7' });
      expect(reply.statusCode, JSON.stringify(other)).toBe(409);
      expect(reply.json()).toMatchObject({ code: 'CF_ERR_IDEMPOTENCY_CONFLICT' });
    }
    const jobs = await Promise.all(first.json().ids.map((id: string) => app.inject({ url: `/v1/jobs/sqrt/${id}` })));
    expect(jobs.map((job) => job.json().input)).toEqual(inputs);
    // Random ids, not derived from the key: nothing about the key tells another id.
    expect(new Set(first.json().ids).size).toBe(3);
    for (const id of first.json().ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
  });

  it('keys rendered crawl jobs on the render queue, alone and in a batch beside plain ones', async () => {
    const page = { url: 'http://example.com/app', render: true };
    const first = await postJson(app, '/v1/jobs/crawl', page, { 'idempotency-key': 'render-1' });
    const again = await postJson(app, '/v1/jobs/crawl', page, { 'idempotency-key': 'render-1' });
    expect(first.json().id).toMatch(/^render-[0-9a-f]{8}-/);
    expect(again.json().id).toBe(first.json().id);
    expect(await app.jobQueues.render.getJobState(first.json().id)).toBe('waiting');
    const inputs = [{ url: 'http://example.com/plain' }, page];
    const batch = await postJson(app, '/v1/jobs/crawl/batch', inputs, { 'idempotency-key': 'render-batch' });
    const ids: string[] = batch.json().ids;
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-/);
    expect(ids[1]).toMatch(/^render-[0-9a-f]{8}-/);
    expect(
      (await postJson(app, '/v1/jobs/crawl/batch', inputs, { 'idempotency-key': 'render-batch' })).json().ids,
    ).toEqual(ids);
    const read = await Promise.all(ids.map((id) => app.inject({ url: `/v1/jobs/crawl/${id}` })));
    expect(read.map((reply) => reply.json().input)).toEqual(inputs);
  });

  it('refuses a key over 255 characters', async () => {
    const reply = await postJson(app, '/v1/jobs/sqrt', { value: 4 }, { 'idempotency-key': 'k'.repeat(256) });
    expect(reply.statusCode).toBe(400);
    expect(reply.json().field).toBe('headers.idempotency-key');
  });
});
