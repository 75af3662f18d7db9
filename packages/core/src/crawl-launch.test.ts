import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from './config.js';
import { launchCrawl } from './crawl-launch.js';
import { crawlOptions } from './crawl-schemas.js';
import { CrawlStore } from './crawl-store.js';
import { PageQueues } from './page-jobs.js';
import { tenantKeys } from './keys.js';

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

describe('crawl options', () => {
  it('take every default from CRAWL_DEFAULTS, and what a request gives over it', async () => {
    const { CRAWL_DEFAULTS } = await import('./crawl-record.js');
    const { CrawlRequest } = await import('./crawl-schemas.js');
    expect(crawlOptions({})).toEqual(CRAWL_DEFAULTS);
    expect(crawlOptions({ maxDepth: 0, scope: 'path' })).toMatchObject({ maxDepth: 0, scope: 'path', maxPages: 1000 });
    // Fresh arrays, never the frozen defaults'.
    expect(Object.isFrozen(crawlOptions({}).include)).toBe(false);
    // The request's schema quotes the same defaults.
    const described = (field: string) =>
      (CrawlRequest.properties as Record<string, { description?: string }>)[field]?.description;
    expect(described('maxDepth')).toContain(`(default ${CRAWL_DEFAULTS.maxDepth})`);
    expect(described('maxPages')).toContain(`(default ${CRAWL_DEFAULTS.maxPages})`);
    expect(described('respectRobots')).toContain(`(default ${CRAWL_DEFAULTS.respectRobots})`);
  });
});
