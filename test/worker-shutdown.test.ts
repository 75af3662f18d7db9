import { queueKeyPrefix } from '@crawlfleet/core';
import { readFileSync } from 'node:fs';
import { workerNodeArgs } from '@crawlfleet/worker';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  startFixtureSite,
  type FixtureSite,
  eventually,
  testConfig,
  startService,
  freePort,
} from '@crawlfleet/testkit';

/* A real worker process: SIGTERM lets its active jobs finish, then it exits 0. */

const config = testConfig(inject('redisUrl'));
let site: FixtureSite;
let connection: Redis;
let queue: Queue;

beforeAll(async () => {
  site = await startFixtureSite();
  connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue('crawl', { connection, prefix: queueKeyPrefix(config.queuePrefix, 'crawl') });
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

  it('serves /metrics on WORKER_METRICS_HOST, 127.0.0.1 unless set, never all interfaces by default', async () => {
    const port = await freePort();
    const worker = startService('services/worker/dist/main.js', ['--queue', 'sqrt'], {
      ...env(),
      WORKER_METRICS_PORT: String(port),
    });
    try {
      await eventually(() => worker.output().includes('metrics on /metrics'), 10_000, 'metrics listening');
      // /proc/net/tcp: local address as hex IP:port, state 0A = LISTEN; 0100007F is 127.0.0.1.
      const listening = readFileSync('/proc/net/tcp', 'utf8')
        .split('\n')
        .filter((line) => line.includes(' 0A '));
      const local = listening
        .map((line) => line.trim().split(/\s+/)[1])
        .find((address) => address?.endsWith(`:${port.toString(16).toUpperCase().padStart(4, '0')}`));
      expect(local).toBe(`0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain(
        'crawlfleet_jobs_finished_total',
      );
    } finally {
      worker.child.kill('SIGKILL');
    }
  });

  it('runs fibonacci jobs in its threads when started with V8 flags, as the launchers start it', async () => {
    const fibonacci = new Queue('fibonacci', { connection, prefix: queueKeyPrefix(config.queuePrefix, 'fibonacci') });
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
      'Invalid configuration: --queue must be one of sqrt, fibonacci, crawl, webhook, render (got "email")',
    );
  });

  it('refuses to start without a queue', async () => {
    const worker = startService('services/worker/dist/main.js', [], env());
    expect(await worker.exited).toBe(2);
    expect(worker.output()).toMatch(/WORKER_QUEUE or --queue is required/);
  });

  it('refuses a RENDER_SANDBOX that is not required, auto or off', async () => {
    const worker = startService('services/worker/dist/main.js', ['--queue', 'render'], {
      ...env(),
      RENDER_SANDBOX: 'maybe',
    });
    expect(await worker.exited).toBe(2);
    expect(worker.output().trim()).toBe(
      'Invalid configuration: RENDER_SANDBOX must be required, auto or off (got "maybe")',
    );
  });
  it('loads only what its kind needs: no worker loads TypeBox, sqrt and fibonacci no crawler (idle RSS ~80 MB)', async () => {
    // Every module a worker process loads, through a loader hook, until it is ready.
    const hook = `export async function load(url, context, next) { if (url.startsWith('file:')) process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); }`;
    const register = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`)}`;
    for (const kind of ['sqrt', 'fibonacci', 'crawl']) {
      const worker = startService('services/worker/dist/main.js', ['--queue', kind], env(), ['--import', register]);
      try {
        await eventually(() => worker.output().includes('worker ready'), 10_000, `${kind} worker ready`);
        const loaded = worker
          .output()
          .split('\n')
          .filter((line) => line.startsWith('LOADED '));
        expect(loaded.some((line) => line.includes('/node_modules/bullmq/'))).toBe(true);
        expect(loaded.filter((line) => line.includes('/node_modules/typebox/'))).toEqual([]);
        const crawler = loaded.filter((line) =>
          /\/node_modules\/(cheerio|htmlparser2|undici)\/|\/packages\/crawl\/dist\/(?!page-queues)/.test(line),
        );
        if (kind === 'crawl') expect(crawler.length).toBeGreaterThan(0);
        else expect(crawler).toEqual([]);
      } finally {
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
    }
  });
});
