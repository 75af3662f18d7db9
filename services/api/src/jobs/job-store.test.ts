import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, testConfig } from '../../../../test/helpers/harness.js';
import { buildApp } from '../app.js';
import { JobStore } from './job-store.js';

/* The job store against the run's real redis-server (no worker: jobs stay queued). */

let app: FastifyInstance;
let store: JobStore;

beforeAll(async () => {
  app = await buildApp(testConfig(inject('redisUrl')), { logger: false });
  await eventually(() => app.jobQueues.ready, 10_000, 'Redis connection');
  store = new JobStore(app.jobQueues);
});
afterAll(async () => {
  await app.close();
});

describe('JobStore', () => {
  it('does not wait long for an early job read that never comes (its connection lost)', async () => {
    const { job } = await store.add('sqrt', { value: 25 }, {});
    const started = Date.now();
    const found = await store['completed']('sqrt', String(job.id), new Promise<null>(() => {}));
    expect(Date.now() - started).toBeLessThan(2500);
    expect(found.job).toMatchObject({ id: job.id, data: { value: 25 } });
  });

  it('takes an early read that shows the job unfinished for nothing, and reads the job again', async () => {
    const { job } = await store.add('sqrt', { value: 36 }, {});
    const unfinished = await app.jobQueues.redis.hgetall(app.jobQueues.queue('sqrt').toKey(String(job.id)));
    await app.jobQueues.redis.hset(app.jobQueues.queue('sqrt').toKey(String(job.id)), 'progress', '70');
    const found = await store['completed']('sqrt', String(job.id), Promise.resolve(unfinished));
    expect(found.job.progress).toBe(70);
  });
});
