import { Redis } from 'ioredis';
import { buildApp } from '@crawlfleet/api';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  silentLogger,
  startCrawlSite,
  startRedis,
  testApi,
  testConfig,
  type FixtureSite,
  type TestRedis,
} from '@crawlfleet/testkit';

/*
 * What every tenant shares, and what one tenant may take of it: workers stop
 * claiming crawl pages while Redis is short of memory (and go on after,
 * losing nothing); a tenant's pages per day end its crawl with stopReason quota.
 */

const KEY = 'p'.repeat(20);
let redis: TestRedis;
let admin: Redis;
let site: FixtureSite;
let app: FastifyInstance;
let worker: RunningWorker | undefined;
const env = {
  API_KEYS: `small:${KEY}`,
  TENANT_MAX_PAGES_PER_DAY: '0',
  TENANTS_FILE: '',
  CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
};

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  site = await startCrawlSite(40);
  app = await testApi(buildApp, redis.url, env);
});
afterAll(async () => {
  await worker?.close(3000);
  await app.close();
  await site.close();
  admin.disconnect();
  await redis.destroy();
});

const auth = { authorization: `Bearer ${KEY}` };
const crawlOf = async (id: string) => (await app.inject({ url: `/v1/crawls/${id}`, headers: auth })).json();

describe('Redis memory pressure, for workers', () => {
  it('stops claiming crawl pages while Redis is over 90% of maxmemory, and finishes the crawl after', async () => {
    const started = await app.inject({
      method: 'POST',
      url: '/v1/crawls',
      headers: auth,
      payload: { url: `${site.url}/p/0`, maxPages: 5, respectRobots: false, sitemap: 'skip' },
    });
    expect(started.statusCode).toBe(202);
    const ballast = admin.pipeline();
    for (let n = 0; n < 2048; n++) ballast.set(`ballast:${n}`, 'x'.repeat(4096));
    await ballast.exec();
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    await admin.config('SET', 'maxmemory', String(Math.ceil(used * 1.02)));
    const config = { ...testConfig(redis.url, env), queuePrefix: app.config.queuePrefix };
    worker = await startWorker({ config, queue: 'crawl', logger: silentLogger });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const held = await crawlOf(started.json().id);
    expect(held).toMatchObject({ state: 'running', stats: { fetched: 0, failed: 0 } });
    expect(site.hits.get('/p/0') ?? 0).toBe(0);
    await admin.config('SET', 'maxmemory', '0');
    await eventually(async () => (await crawlOf(started.json().id)).state === 'completed', 15_000, 'the crawl');
    expect((await crawlOf(started.json().id)).stats).toMatchObject({ fetched: 5, failed: 0 });
    await admin.del(...Array.from({ length: 2048 }, (_, n) => `ballast:${n}`));
  });
});

describe('TENANT_MAX_PAGES_PER_DAY', () => {
  it('ends a crawl with stopReason quota once the tenant has fetched its pages for the day', async () => {
    await worker?.close(3000);
    const limited = { ...env, TENANT_MAX_PAGES_PER_DAY: '3' };
    const config = { ...testConfig(redis.url, limited), queuePrefix: app.config.queuePrefix };
    worker = await startWorker({ config, queue: 'crawl', logger: silentLogger });
    // The API reads Redis's memory once a second: the pressure of the test before must have gone.
    await eventually(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, 5000, 'no pressure');
    // The 5 pages of the test before count today too: 3 are the whole day's share.
    await admin.del(`${app.config.queuePrefix}:tenant:{small}:pages:${new Date().toISOString().slice(0, 10)}`);
    const started = await app.inject({
      method: 'POST',
      url: '/v1/crawls',
      headers: auth,
      payload: { url: `${site.url}/p/10`, maxPages: 20, respectRobots: false, sitemap: 'skip' },
    });
    expect(started.statusCode, started.body).toBe(202);
    await eventually(async () => (await crawlOf(started.json().id)).state !== 'running', 15_000, 'the crawl');
    const crawl = await crawlOf(started.json().id);
    expect(crawl).toMatchObject({ state: 'completed', stopReason: 'quota' });
    expect(crawl.stats.fetched).toBe(3);
  });
});
