import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { errorBody, eventually, postJson, testApi, testConfig } from '@crawlfleet/testkit';
import { buildApp } from './app.js';

/*
 * The API through app.inject(), against the run's real redis-server. No
 * worker runs here, so jobs stay queued; flows with workers are in test/.
 * Batches, reads, removal, queues and health here; submitting in app.test.ts.
 */

let app: FastifyInstance;
beforeAll(async () => (app = await testApi(buildApp, inject('redisUrl'))));
afterAll(() => app.close());

describe('POST /v1/jobs/{type}/batch', () => {
  it('accepts up to 1000 jobs in one call', async () => {
    const inputs = Array.from({ length: 1000 }, (_, i) => ({ value: i }));
    const reply = await postJson(app, '/v1/jobs/sqrt/batch', inputs);
    expect(reply.statusCode).toBe(202);
    const { ids } = reply.json();
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
    const job = await app.inject({ url: `/v1/jobs/sqrt/${ids[999]}` });
    expect(job.json().input).toEqual({ value: 999 });
  });

  it('rejects the whole batch naming the bad item', async () => {
    const before = await app.jobQueues.queue('sqrt').getWaitingCount();
    const reply = await postJson(app, '/v1/jobs/sqrt/batch', [{ value: 1 }, { value: 2 }, { value: -3 }]);
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ field: 'body[2].value', message: 'body[2].value must be >= 0' });
    expect(await app.jobQueues.queue('sqrt').getWaitingCount()).toBe(before);
  });

  it('rejects a crawl batch naming the URL the parser refuses', async () => {
    const reply = await postJson(app, '/v1/jobs/crawl/batch', [{ url: 'https://a.test/' }, { url: 'http://[zz/' }]);
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({
      field: 'body[1].url',
      message: 'body[1].url must be an absolute http:// or https:// URL, without user:password@',
    });
  });

  it.each([
    ['[]', 'body must NOT have fewer than 1 items'],
    [JSON.stringify(Array.from({ length: 1001 }, () => ({ value: 1 }))), 'body must NOT have more than 1000 items'],
    ['{"value": 1}', 'body must be array'],
  ])('rejects %#', async (payload, message) => {
    const reply = await postJson(app, '/v1/jobs/sqrt/batch', payload);
    expect(reply.statusCode).toBe(400);
    expect(reply.json().message).toBe(message);
  });

  it('gives the same ids for a repeated Idempotency-Key', async () => {
    const first = await postJson(app, '/v1/jobs/fibonacci/batch', [{ n: 1 }, { n: 2 }], {
      'idempotency-key': 'batch-1',
    });
    const second = await postJson(app, '/v1/jobs/fibonacci/batch', [{ n: 1 }, { n: 2 }], {
      'idempotency-key': 'batch-1',
    });
    expect(second.json().ids).toEqual(first.json().ids);
  });
});

describe('GET and DELETE /v1/jobs/{type}/{id}', () => {
  it('answers 404 for a job that does not exist', async () => {
    const reply = await app.inject({ url: '/v1/jobs/sqrt/does-not-exist' });
    expect(reply.statusCode).toBe(404);
    expect(reply.json()).toEqual(
      errorBody(
        404,
        'CF_ERR_JOB_NOT_FOUND',
        'No sqrt job with id "does-not-exist": it never existed, was removed, or has expired',
      ),
    );
  });

  it('answers 404 for an unknown type on every job and schedule route', async () => {
    const routes = [
      ['POST', '/v1/jobs/email'],
      ['POST', '/v1/jobs/email/batch'],
      ['GET', '/v1/jobs/email/1'],
      ['DELETE', '/v1/jobs/email/1'],
      ['GET', '/v1/jobs/email/1/events'],
      ['POST', '/v1/schedules/email'],
      ['DELETE', '/v1/schedules/email/daily'],
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
      expect(reply.json()).toEqual(
        errorBody(400, 'CF_ERR_BAD_URL', `The URL path is not valid percent-encoding: "${url}"`, 'params'),
      );
    }
  });

  it('answers an id longer than 100 characters with 414, without echoing it', async () => {
    const reply = await app.inject({ url: `/v1/jobs/sqrt/${'a'.repeat(3000)}` });
    expect(reply.statusCode).toBe(414);
    expect(reply.json()).toEqual(
      errorBody(414, 'CF_ERR_PARAM_TOO_LONG', 'An id or type in the URL path is longer than 100 characters', 'params'),
    );
    expect((await app.inject({ url: `/v1/jobs/sqrt/${'a'.repeat(100)}` })).json().code).toBe('CF_ERR_JOB_NOT_FOUND');
  });

  it('removes a waiting job (204), then it is gone', async () => {
    const { url } = (await postJson(app, '/v1/jobs/sqrt', { value: 1 })).json();
    const reply = await app.inject({ method: 'DELETE', url });
    expect(reply.statusCode).toBe(204);
    expect((await app.inject({ url })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url })).statusCode).toBe(404);
  });

  it('removes a delayed job', async () => {
    const { url } = (await postJson(app, '/v1/jobs/crawl?delay=60000', { url: 'https://example.org/' })).json();
    expect((await app.inject({ method: 'DELETE', url })).statusCode).toBe(204);
  });

  it('answers ?wait on GET with the job after the wait runs out', async () => {
    const { url } = (await postJson(app, '/v1/jobs/sqrt', { value: 1 })).json();
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
    expect(queues.map((queue: { type: string }) => queue.type)).toEqual([
      'sqrt',
      'fibonacci',
      'crawl',
      'render',
      'webhook',
    ]);
    expect(queues[0]).toMatchObject({
      paused: false,
      workers: 0,
      counts: { waiting: expect.any(Number), active: 0, completed: 0 },
    });
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

describe('queues under the key names before hash tags', () => {
  it('are named in a warning at start, with nothing said when there are none', async () => {
    const config = testConfig(inject('redisUrl'));
    const redis = new Redis(config.redisUrl);
    // A waiting sqrt job as crawlfleet stored it before its keys were hash-tagged.
    await redis.rpush(`${config.queuePrefix}:sqrt:wait`, '1');
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().trim().split('\n'));
        done();
      },
    });
    const logged = await buildApp(config, { logger: { level: 'warn', stream } });
    try {
      await eventually(() => logged.jobQueues.ready, 10_000, 'Redis connection');
      expect(await logged.jobQueues.untaggedQueues()).toEqual(['sqrt']);
      const ours = () => lines.find((line) => line.includes('"queues"'));
      await eventually(() => ours() !== undefined, 5000, 'the warning');
      const warning = JSON.parse(ours()!);
      expect(warning).toMatchObject({ level: 40, queues: ['sqrt'] });
      expect(warning.msg).toContain(`${config.queuePrefix}:<queue>:*`);
    } finally {
      await logged.close();
      await redis.del(`${config.queuePrefix}:sqrt:wait`);
      redis.disconnect();
    }
    expect(await app.jobQueues.untaggedQueues()).toEqual([]);
  });
});
