import { workerNodeArgs } from '@crawlfleet/worker';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFixtureSite, type FixtureSite, eventually, testConfig, startService } from '@crawlfleet/testkit';

/* A real worker process: SIGTERM lets its active jobs finish, then it exits 0. */

const config = testConfig(inject('redisUrl'));
let site: FixtureSite;
let connection: Redis;
let queue: Queue;

beforeAll(async () => {
  site = await startFixtureSite();
  connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue('crawl', { connection, prefix: config.queuePrefix });
});
afterAll(async () => {
  await queue.close();
  connection.disconnect();
  await site.close();
});

const env = () => ({
  REDIS_URL: config.redisUrl,
  QUEUE_PREFIX: config.queuePrefix,
  CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
  WORKER_SHUTDOWN_TIMEOUT_MS: '10000',
});

describe('worker process', () => {
  it('finishes its active jobs on SIGTERM, takes no new ones, and exits 0', async () => {
    const worker = startService('services/worker/dist/main.js', ['--queue', 'crawl', '--concurrency', '2'], env());
    try {
      await eventually(() => worker.output().includes('worker ready'), 10_000, 'worker ready');
      const jobs = await Promise.all(
        [1, 2].map((i) => queue.add('crawl', { url: `${site.url}/slow?ms=1200&i=${i}` }, { attempts: 1 })),
      );
      await eventually(async () => (await queue.getActiveCount()) === 2, 5000, 'two active jobs');
      worker.child.kill('SIGTERM');
      const late = await queue.add('crawl', { url: `${site.url}/late` }, { attempts: 1 });
      expect(await worker.exited).toBe(0);
      for (const job of jobs) {
        expect(await (await queue.getJob(job.id!))?.getState()).toBe('completed');
      }
      expect(await late.getState()).toBe('waiting');
      expect(site.hits.get('/late')).toBeUndefined();
      expect(worker.output()).toContain('stopping: finishing active jobs');
    } finally {
      worker.child.kill('SIGKILL');
    }
  });

  it('exits by WORKER_SHUTDOWN_TIMEOUT_MS when an active job will not finish, naming it', async () => {
    const worker = startService('services/worker/dist/main.js', ['--queue', 'crawl'], {
      ...env(),
      WORKER_SHUTDOWN_TIMEOUT_MS: '1000',
      CRAWL_TIMEOUT_MS: '120000',
    });
    try {
      await eventually(() => worker.output().includes('worker ready'), 10_000, 'worker ready');
      const job = await queue.add('crawl', { url: `${site.url}/slow` }, { attempts: 1 });
      await eventually(async () => (await job.getState()) === 'active', 5000, 'an active job');
      const started = Date.now();
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(4000);
      expect(worker.output()).toContain('active jobs did not finish in time');
      expect(worker.output()).toContain(`"jobs":["${job.id}"]`);
    } finally {
      worker.child.kill('SIGKILL');
    }
  });

  it('runs fibonacci jobs in its threads when started with V8 flags, as the launchers start it', async () => {
    const fibonacci = new Queue('fibonacci', { connection, prefix: config.queuePrefix });
    const worker = startService(
      'services/worker/dist/main.js',
      ['--queue', 'fibonacci'],
      env(),
      workerNodeArgs('fibonacci'),
    );
    try {
      await eventually(() => worker.output().includes('worker ready'), 10_000, 'worker ready');
      const job = await fibonacci.add('fibonacci', { n: 90 }, { attempts: 1 });
      await eventually(
        async () => (await job.getState()) !== 'waiting' && (await job.getState()) !== 'active',
        10_000,
        'job finished',
      );
      expect(await job.getState()).toBe('completed');
      expect((await fibonacci.getJob(job.id!))?.returnvalue).toEqual({
        n: 90,
        value: '2880067194370816120',
        digits: 19,
      });
    } finally {
      worker.child.kill('SIGKILL');
      await fibonacci.close();
    }
  });

  it('refuses to start with a bad --queue, naming it', async () => {
    const worker = startService('services/worker/dist/main.js', ['--queue', 'email'], env());
    expect(await worker.exited).toBe(2);
    expect(worker.output().trim()).toBe(
      'Invalid configuration: --queue must be one of sqrt, fibonacci, crawl (got "email")',
    );
  });

  it('refuses to start without a queue', async () => {
    const worker = startService('services/worker/dist/main.js', [], env());
    expect(await worker.exited).toBe(2);
    expect(worker.output()).toMatch(/WORKER_QUEUE or --queue is required/);
  });
});
