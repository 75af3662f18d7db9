import { request, type IncomingMessage } from 'node:http';
import { buildApp } from '@crawlfleet/api';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { eventually, testConfig, startService, freePort, startRedis, type TestRedis, raw } from '@crawlfleet/testkit';

/* What a client can hold open, or make Redis hold, is bounded. */

const KEYS = ['a'.repeat(20), 'b'.repeat(20)];
const auth = (key: string) => ({ authorization: `Bearer ${key}` });
let app: FastifyInstance | undefined;
const streams: IncomingMessage[] = [];

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.destroy();
  await app?.close();
  app = undefined;
});

async function listening(env: Record<string, string>, redisUrl = inject('redisUrl')): Promise<number> {
  app = await buildApp(testConfig(redisUrl, env), { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await eventually(() => app!.jobQueues.ready);
  return (app.server.address() as { port: number }).port;
}

/** Opens a GET and resolves at its response headers, leaving the body open. */
function open(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<IncomingMessage & { text: () => string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      streams.push(res);
      resolve(Object.assign(res, { text: () => text }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function submit(port: number, key: string): Promise<string> {
  const reply = await raw(
    port,
    'POST',
    '/v1/jobs/sqrt',
    { ...auth(key), 'content-type': 'application/json' },
    '{"value": 4}',
  );
  expect(reply.status).toBe(202);
  return JSON.parse(reply.body).id;
}

describe('per-client caps', () => {
  it('MAX_STREAMS_PER_CLIENT event streams per client, then 429; another client is not counted', async () => {
    const port = await listening({ API_KEYS: KEYS.join(','), MAX_STREAMS_PER_CLIENT: '2' });
    const id = await submit(port, KEYS[0]);
    const path = `/v1/jobs/sqrt/${id}/events`;
    const first = await open(port, path, auth(KEYS[0]));
    await open(port, path, auth(KEYS[0]));
    expect(first.statusCode).toBe(200);
    const third = await raw(port, 'GET', path, auth(KEYS[0]));
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body)).toMatchObject({ code: 'CF_ERR_TOO_MANY_STREAMS' });
    expect((await open(port, path, auth(KEYS[1]))).statusCode).toBe(200);
    first.destroy();
    await eventually(async () => (await open(port, path, auth(KEYS[0]))).statusCode === 200, 3000, 'a slot freed');
  });

  it('MAX_WAITS_PER_CLIENT concurrent ?wait requests per client, then 429 at once', async () => {
    const port = await listening({ API_KEYS: KEYS.join(','), MAX_WAITS_PER_CLIENT: '2' });
    const id = await submit(port, KEYS[0]);
    const waits = [1, 2].map(() => raw(port, 'GET', `/v1/jobs/sqrt/${id}?wait=1500`, auth(KEYS[0])));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const third = await raw(port, 'GET', `/v1/jobs/sqrt/${id}?wait=1500`, auth(KEYS[0]));
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body).code).toBe('CF_ERR_TOO_MANY_WAITS');
    // At once: well before the 1,500 ms the two others wait.
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await raw(port, 'GET', `/v1/jobs/sqrt/${id}`, auth(KEYS[0]))).status).toBe(200);
    expect((await raw(port, 'GET', `/v1/jobs/sqrt/${id}?wait=100`, auth(KEYS[1]))).status).toBe(200);
    expect((await Promise.all(waits)).map((reply) => reply.status)).toEqual([200, 200]);
    expect((await raw(port, 'GET', `/v1/jobs/sqrt/${id}?wait=100`, auth(KEYS[0]))).status).toBe(200);
  });

  it('caps a job delay at MAX_DELAY_MS, naming the field', async () => {
    const port = await listening({ MAX_DELAY_MS: '60000' });
    const reply = await raw(
      port,
      'POST',
      '/v1/jobs/sqrt?delay=60001',
      { 'content-type': 'application/json' },
      '{"value": 1}',
    );
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({
      field: 'querystring.delay',
      message: 'querystring.delay must be <= 60000',
    });
  });
});

describe('Redis memory pressure', () => {
  let redis: TestRedis;
  let admin: Redis;
  afterAll(async () => {
    admin?.disconnect();
    await redis?.destroy();
  });

  it('over 90% of maxmemory: submissions get 503 CF_ERR_REDIS_MEMORY, reads go on, /readyz says so', async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
    const port = await listening({}, redis.url);
    expect((await raw(port, 'GET', '/readyz')).status).toBe(200);
    // 8 MB of data, then a maxmemory just above what is used: the share stays over 90% however the
    // server's own ~1 MB (client buffers, scripts) moves, which alone could swing it by more than 10%.
    // Small values: one 8 MB argument would sit in the client's query buffer, counted, until a cron frees it.
    const ballast = admin.pipeline();
    for (let n = 0; n < 2048; n++) ballast.set(`ballast:${n}`, 'x'.repeat(4096));
    await ballast.exec();
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    expect(used).toBeGreaterThan(8 * 1024 * 1024);
    await admin.config('SET', 'maxmemory', String(Math.ceil(used * 1.02)));
    await eventually(
      async () => (await raw(port, 'GET', '/readyz')).status === 503,
      5000,
      '/readyz to report pressure',
    );
    const refused = await raw(port, 'POST', '/v1/jobs/sqrt', { 'content-type': 'application/json' }, '{"value": 1}');
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'CF_ERR_REDIS_MEMORY' });
    const crawl = await raw(
      port,
      'POST',
      '/v1/crawls',
      { 'content-type': 'application/json' },
      '{"url": "http://127.0.0.1:9/"}',
    );
    expect(crawl.status).toBe(503);
    expect((await raw(port, 'GET', '/v1/queues')).status).toBe(200);
    await admin.config('SET', 'maxmemory', '0');
    await eventually(
      async () =>
        (await raw(port, 'POST', '/v1/jobs/sqrt', { 'content-type': 'application/json' }, '{"value": 1}')).status ===
        202,
      5000,
      'submissions back',
    );
  });
});

describe('API shutdown', () => {
  it('an open event stream does not keep the API from exiting on SIGTERM', async () => {
    const port = await freePort();
    const config = testConfig(inject('redisUrl'));
    const api = startService('services/api/dist/server.js', [], {
      REDIS_URL: config.redisUrl,
      QUEUE_PREFIX: config.queuePrefix,
      PORT: String(port),
      API_SHUTDOWN_TIMEOUT_MS: '20000',
    });
    try {
      // Listening comes before Redis is connected; submissions get 503 until /readyz is 200.
      await eventually(
        async () => (await raw(port, 'GET', '/readyz').catch(() => null))?.status === 200,
        10_000,
        '/readyz',
      );
      const id = await submit(port, 'none');
      const stream = await open(port, `/v1/jobs/sqrt/${id}/events`, {});
      const ended = new Promise((resolve) => stream.on('end', resolve));
      await eventually(() => stream.text().includes('event: state'), 3000, 'the first event');
      const started = Date.now();
      api.child.kill('SIGTERM');
      // 0, not the 1 of the shutdown timeout (20 s): the stream was ended, not cut.
      expect(await api.exited).toBe(0);
      await ended;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(stream.text()).toContain('event: closing');
    } finally {
      api.child.kill('SIGKILL');
    }
  });
});
