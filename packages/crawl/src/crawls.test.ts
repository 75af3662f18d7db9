import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { crawlEndChannel, loadConfig, webhookSecretsKey, type CrawlRequest, type Scope } from '@crawlfleet/core';
import { eventually } from '@crawlfleet/testkit';
import { Crawls } from './crawls.js';
import { lastCrawlKey, lastErrorKey, startScheduledCrawl } from './schedules.js';
import { PageQueues } from './page-jobs.js';

/* The crawls' one door, against the run's real redis-server: what the API and schedules' runs both go through. */

const redis = new Redis(inject('redisUrl'));
const config = loadConfig(
  {},
  { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: `crawls-${randomUUID()}`, TENANT_MAX_RUNNING_CRAWLS: '2' },
);
const pages = new PageQueues(redis, config);
const webhooks = new Queue('webhook', { connection: redis, prefix: config.queuePrefix });
const deps = { redis, config, pages, webhooks };
const crawls = new Crawls(deps, true);
/** Another process's door (an API instance, or the worker that ends a crawl). */
const other = new Crawls(deps, true);
const acme: Scope = { tenant: 'acme', operator: false };
const globex: Scope = { tenant: 'globex', operator: false };

afterAll(async () => {
  crawls.close();
  other.close();
  await webhooks.close();
  await pages.close();
  redis.disconnect();
});

describe('Crawls', () => {
  it('starts a crawl of the caller tenant, which no other tenant can read or cancel', async () => {
    const id = await crawls.start({ url: 'http://door.test/a', maxPages: 5 }, acme);
    const crawl = await crawls.get(id, acme);
    expect(crawl).toMatchObject({ state: 'running', tenant: 'acme', seed: 'http://door.test/a' });
    expect(crawl.options).toMatchObject({ maxPages: 5, maxDepth: 2, delayMs: null, scope: 'host' });
    expect(await redis.zscore(pages.frontier.dueKey('door.test', 'p'), 'door.test')).not.toBeNull();
    await expect(crawls.get(id, globex)).rejects.toMatchObject({ code: 'CF_ERR_CRAWL_NOT_FOUND' });
    await expect(crawls.cancel(id, globex)).rejects.toMatchObject({ code: 'CF_ERR_CRAWL_NOT_FOUND' });
    expect((await crawls.cancel(id, acme)).state).toBe('cancelled');
  });

  it('refuses a bad request naming the field, under the caller path', async () => {
    await expect(crawls.start({ url: 'ftp://door.test/' }, acme)).rejects.toMatchObject({
      code: 'CF_ERR_VALIDATION',
      field: 'body.url',
    });
    const tooSlow = { url: 'http://door.test/', delayMs: config.crawlMaxDelayMs + 1 };
    await expect(crawls.start(tooSlow, acme, {}, 'body.crawl')).rejects.toMatchObject({
      field: 'body.crawl.delayMs',
    });
    await expect(crawls.start({ url: 'http://door.test/', include: ['docs/**'] }, acme)).rejects.toMatchObject({
      field: 'body.include[0]',
    });
  });

  it('tells a watch of the end at once: pushed by whoever ends the crawl, not found by polling', async () => {
    const id = await crawls.start({ url: 'http://door.test/watched' }, acme);
    const watched = crawls.watch(id, 10_000, acme).then((crawl) => ({ crawl, at: performance.now() }));
    // The watch is subscribed before the end comes (it reads the crawl first).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const cancelledAt = performance.now();
    await other.cancel(id, acme);
    const { crawl, at } = await watched;
    expect(crawl.state).toBe('cancelled');
    // Without the push the watch reads the crawl again only each second.
    expect(at - cancelledAt).toBeLessThan(500);
    // A watch that times out answers the crawl as it is.
    const running = await crawls.start({ url: 'http://door.test/long' }, acme);
    expect((await crawls.watch(running, 100, acme)).state).toBe('running');
    await crawls.cancel(running, acme);
  });

  it('subscribes once, on the first watch, and never again once closed', async () => {
    // Subscribers of this run's end channel (other files' runs use channels of their own).
    const channel = crawlEndChannel(config.queuePrefix);
    const clients = async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);
    const door = new Crawls(deps, false);
    const before = await clients();
    const id = await door.start({ url: 'http://door.test/closing' }, acme);
    expect(await clients()).toBe(before);
    await door.watch(id, 50, acme);
    await eventually(async () => (await clients()) === before + 1, 2000, 'subscribed');
    door.close();
    // A request still in flight as the API closes waits its time out: no new subscription, no spin.
    const started = performance.now();
    expect((await door.watch(id, 300, acme)).state).toBe('running');
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    await eventually(async () => (await clients()) === before, 2000, 'unsubscribed');
    await door.cancel(id, acme);
  });

  it("runs a schedule through the same door: the tenant's quota, the schedule's webhook, incremental recrawls", async () => {
    const scheduleId = `nightly-${randomUUID()}`;
    const crawl: Omit<CrawlRequest, 'url'> = {
      maxPages: 3,
      webhook: { url: 'http://hooks.example/', events: ['completed'], secret: '***' },
    };
    const data = { scheduleId, tenant: 'initech', quotas: true, seed: 'http://door.test/s', crawl, incremental: true };
    const secrets = webhookSecretsKey(config.queuePrefix, 'initech');
    await redis.hset(
      secrets,
      scheduleId,
      JSON.stringify({ url: 'http://hooks.example/', events: ['completed'], secret: 'kept' }),
    );
    const store = { redis, prefix: config.queuePrefix, ttlSeconds: 600 };
    const door = new Crawls(deps, false);
    const first = await startScheduledCrawl(door, store, data);
    expect(first).not.toBeNull();
    const started = await door.get(first!, { tenant: 'initech', operator: false });
    expect(started.options).toMatchObject({ maxPages: 3, recrawlOf: null });
    // The secret hidden in the schedule's template is the one the crawl's deliveries sign with.
    expect((await door.store.webhook(first!))?.spec.secret).toBe('kept');
    const second = await startScheduledCrawl(door, store, data);
    expect((await door.get(second!, { tenant: 'initech', operator: false })).options.recrawlOf).toBe(first);
    expect(await redis.get(lastCrawlKey(config.queuePrefix, 'initech', scheduleId))).toBe(second);
    // Two running: the tenant's quota (2) skips the third run, and says why.
    expect(await startScheduledCrawl(door, store, data)).toBeNull();
    expect(await redis.get(lastErrorKey(config.queuePrefix, 'initech', scheduleId))).toMatch(
      /TENANT_MAX_RUNNING_CRAWLS.*run skipped/,
    );
    door.close();
  });
});
