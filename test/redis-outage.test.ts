import type { FastifyInstance } from 'fastify';
import { buildApp } from '@crawlfleet/api';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  freePort,
  silentLogger,
  startService,
  testConfig,
  startRedis,
  type TestRedis,
} from '@crawlfleet/testkit';

/*
 * Redis stopped and restarted under a running API: job routes answer 503
 * within seconds, /readyz is 503, and once Redis is back (AOF on) everything
 * works again without a restart and every job accepted before is done.
 */

let redis: TestRedis;
let app: FastifyInstance;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  redis = await startRedis();
  app = await buildApp(testConfig(redis.url), { logger: false });
  await eventually(() => app.jobQueues.ready, 10_000, 'API Redis connection');
});
afterAll(async () => {
  await worker?.close(5000);
  await app.close();
  await redis.destroy();
});

const post = (url: string, payload: string) =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const value = await work;
  return [value, Date.now() - started];
}

describe('Redis stopped and restarted', () => {
  it('answers 503 while Redis is away and loses no accepted job', async () => {
    const accepted: string[] = [];
    for (let i = 0; i < 20; i++) {
      const reply = await post('/v1/jobs/sqrt', JSON.stringify({ value: i }));
      expect(reply.statusCode).toBe(202);
      accepted.push(reply.json().id);
    }
    const batch = await post('/v1/jobs/sqrt/batch', JSON.stringify([{ value: 100 }, { value: 121 }]));
    accepted.push(...batch.json().ids);

    await redis.stop();
    await eventually(() => !app.jobQueues.ready, 5000, 'API to notice Redis is gone');

    const [submit, submitMs] = await timed(post('/v1/jobs/sqrt', '{"value": 1}'));
    expect(submit.statusCode).toBe(503);
    expect(submit.json()).toMatchObject({ statusCode: 503, code: 'CF_ERR_REDIS_UNAVAILABLE' });
    expect(submit.headers['retry-after']).toBe('5');
    expect(submitMs).toBeLessThan(5000);
    for (const request of [
      app.inject({ url: `/v1/jobs/sqrt/${accepted[0]}` }),
      app.inject({ url: '/v1/queues' }),
      app.inject({ url: '/readyz' }),
      post('/v1/jobs/sqrt/batch', '[{"value": 1}]'),
      post('/v1/jobs/sqrt?wait=1000', '{"value": 1}'),
    ]) {
      const [reply, ms] = await timed(request);
      expect(reply.statusCode).toBe(503);
      expect(ms).toBeLessThan(5000);
    }
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    // Bad input is still a 400 while Redis is away.
    expect((await post('/v1/jobs/sqrt', '{"value": -1}')).statusCode).toBe(400);

    await redis.start();
    await eventually(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, 15_000, 'readyz 200 again');

    worker = await startWorker({ config: app.config, queue: 'sqrt', logger: silentLogger });
    for (const id of accepted) {
      const reply = await app.inject({ url: `/v1/jobs/sqrt/${id}?wait=10000` });
      expect(reply.json().state).toBe('completed');
    }
    const after = await post('/v1/jobs/sqrt?wait=10000', '{"value": 144}');
    expect(after.statusCode).toBe(200);
    expect(after.json().result).toEqual({ value: 144, sqrt: 12 });
  });

  it('says so in few lines per process: once when Redis goes, at most once per 30 s, once when it is back', async () => {
    const env = { REDIS_URL: redis.url, QUEUE_PREFIX: app.config.queuePrefix, LOG_LEVEL: 'info', LOG_FORMAT: 'json' };
    const port = await freePort();
    const services = [
      startService('services/api/dist/server.js', [], { ...env, PORT: String(port) }),
      startService('services/worker/dist/main.js', ['--queue', 'crawl'], env),
      startService('services/worker/dist/main.js', ['--queue', 'sqrt'], env),
    ];
    try {
      for (const service of services)
        await eventually(() => /"(Redis connected: taking jobs|worker ready)"/.test(service.output()), 20_000, 'ready');
      const before = services.map((service) => service.output().length);
      await redis.stop();
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      await redis.start();
      for (const service of services)
        await eventually(() => service.output().includes('Redis is back after'), 15_000, 'back line');
      for (const [index, service] of services.entries()) {
        const lines = service.output().slice(before[index]).split('\n').filter(Boolean);
        // The outage's lines: its first error, at most one more (30 s), the way back; nothing else, no stack.
        expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(3);
        for (const line of lines) expect(line.startsWith('{'), line).toBe(true);
        expect(lines.filter((line) => line.includes('Redis is back after'))).toHaveLength(1);
      }
    } finally {
      for (const service of services) service.child.kill('SIGKILL');
    }
  });
});
