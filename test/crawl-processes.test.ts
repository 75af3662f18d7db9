import type { FastifyInstance } from 'fastify';
import { buildApp } from '@crawlfleet/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  HOSTILE,
  reachable,
  startCrawlSite,
  type FixtureSite,
  eventually,
  testConfig,
  startService,
  type ServiceProcess,
  postJson,
} from '@crawlfleet/testkit';

/* Exactly once with several crawl worker processes racing over one site. */

const N = 400;
const config = testConfig(inject('redisUrl'), {
  CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
  CRAWL_TIMEOUT_MS: '1000',
  JOB_ATTEMPTS: '2',
});
let app: FastifyInstance;
let site: FixtureSite;
const workers: ServiceProcess[] = [];

beforeAll(async () => {
  site = await startCrawlSite(N);
  app = await buildApp(config, { logger: false });
  const env = {
    REDIS_URL: config.redisUrl,
    QUEUE_PREFIX: config.queuePrefix,
    CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
    CRAWL_TIMEOUT_MS: '1000',
    JOB_ATTEMPTS: '2',
    // Each finished page job is a debug line: which worker ran it (completed page jobs are removed).
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'json',
  };
  for (let i = 0; i < 3; i++)
    workers.push(startService('services/worker/dist/main.js', ['--queue', 'crawl', '--concurrency', '8'], env));
  await eventually(() => app.jobQueues.ready);
  await eventually(
    async () => (await app.jobQueues.queue('crawl').getWorkersCount()) === 3,
    15_000,
    'three crawl workers',
  );
});
afterAll(async () => {
  for (const worker of workers) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((worker) => worker.exited));
  await app.close();
  await site.close();
});

describe('three crawl worker processes', () => {
  it('fetch every page exactly once between them', async () => {
    const start = await postJson(app, '/v1/crawls', { url: `${site.url}/`, maxDepth: 100, maxPages: 5000 });
    const done = (await app.inject({ url: `${start.json().url}?wait=30000` })).json();
    expect(done.state).toBe('completed');
    const expected = reachable(N, 100);
    const fetched = [...site.hits.keys()].filter((path) => path !== '/robots.txt' && path !== '/sitemap.xml');
    expect(new Set(fetched)).toEqual(new Set(expected.keys()));
    for (const path of expected.keys()) {
      if (!HOSTILE.includes(path)) expect(site.hits.get(path), path).toBe(1);
    }
    expect(site.hits.get('/robots.txt')).toBe(1);
    expect(done.stats.queued).toBe(expected.size);
    // Every worker took part.
    for (const worker of workers) expect(worker.output()).toMatch(/crawl job page-\S+ succeeded in/);
    // A completed page job is removed (its page record holds the outcome).
    expect(await app.jobQueues.queue('crawl').getJobCounts('completed')).toEqual({ completed: 0 });
  });
});
