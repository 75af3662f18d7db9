import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { crawlOptions, loadConfig, tenantKeys } from '@crawlfleet/core';
import { launchCrawl } from './launch.js';
import { CrawlStore } from './crawl-store.js';
import { PageQueues } from './page-jobs.js';

/* The one door a crawl starts through (API and schedules), against the run's real redis-server. */

const redis = new Redis(inject('redisUrl'));
const config = loadConfig({}, { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: `launch-${randomUUID()}` });
const store = new CrawlStore(redis, config.queuePrefix, 600);
const pages = new PageQueues(redis, config);
afterAll(async () => {
  await pages.close();
  redis.disconnect();
});

describe('launchCrawl', () => {
  it('creates the crawl and queues its seed in the frontier', async () => {
    const id = await launchCrawl(
      { store, pages, config },
      { seed: 'http://launch.test/', options: crawlOptions({}), tenant: 'acme' },
    );
    expect(await store.state(id)).toBe('running');
    expect(await redis.zscore(pages.frontier.dueKey('launch.test', 'p'), 'launch.test')).not.toBeNull();
    expect(await redis.zscore(tenantKeys(config.queuePrefix, 'acme').running, id)).not.toBeNull();
  });

  it('takes the crawl back when its seed cannot be queued: nothing is left running without it', async () => {
    const failing = { add: () => Promise.reject(new Error('Redis went away')) } as unknown as PageQueues;
    const before = await redis.zcard(tenantKeys(config.queuePrefix, 'acme').running);
    await expect(
      launchCrawl(
        { store, pages: failing, config },
        { seed: 'http://launch.test/b', options: crawlOptions({}), tenant: 'acme' },
      ),
    ).rejects.toThrow('Redis went away');
    expect(await redis.zcard(tenantKeys(config.queuePrefix, 'acme').running)).toBe(before);
    const [crawls] = await store.listIds('acme', Date.now() + 1000, 10).then((list) => [list.map((c) => c.id)]);
    expect(crawls).toHaveLength(1);
  });
});
