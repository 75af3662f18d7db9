import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CrawlStore } from './crawl-store.js';
import { crawlOptions } from '@crawlfleet/core';

/* The crawl store's scripts against the run's real redis-server. */

const redis = new Redis(inject('redisUrl'));
const store = new CrawlStore(redis, `test-${randomUUID()}`, 600);
afterAll(() => redis.disconnect());

const record = (url: string, contentHash: string | null = null) => ({
  url,
  depth: 0,
  status: 200,
  title: null,
  links: 2,
  error: null,
  finalUrl: url,
  contentType: 'text/html',
  bytes: 10,
  metadata: {
    title: null,
    description: null,
    canonical: null,
    lang: null,
    etag: null,
    lastModified: null,
    contentHash,
  },
});

describe('CrawlStore', () => {
  it('claims each URL once, counts, and completes when nothing is pending', async () => {
    const id = randomUUID();
    await store.create(id, 'http://s.test/', crawlOptions({ maxPages: 3 }));
    const claimed = await store.finishPage(id, 'http://s.test/', record('http://s.test/'), 'fetched', [
      { url: 'http://s.test/a', allowed: true },
      { url: 'http://s.test/a', allowed: true },
      { url: 'http://s.test/private', allowed: false },
      { url: 'http://s.test/b', allowed: true },
      { url: 'http://s.test/c', allowed: true },
    ]);
    expect(claimed).toEqual(['http://s.test/a', 'http://s.test/b']);
    // A retry of the same page gives the same children and changes no counter.
    const again = await store.finishPage(id, 'http://s.test/', record('http://s.test/'), 'fetched', []);
    expect(again).toEqual(claimed);
    expect(await store.claimedBy(id, 'http://s.test/')).toEqual(claimed);
    let crawl = await store.get(id);
    expect(crawl).toMatchObject({
      state: 'running',
      stats: { discovered: 5, queued: 3, fetched: 1, failed: 0, skipped: 2 },
    });
    await store.finishPage(id, 'http://s.test/a', record('http://s.test/a'), 'fetched', [
      { url: 'http://s.test/', allowed: true },
    ]);
    await store.finishPage(id, 'http://s.test/b', record('http://s.test/b'), 'failed', []);
    crawl = await store.get(id);
    expect(crawl).toMatchObject({ state: 'completed', stats: { queued: 3, fetched: 2, failed: 1 } });
    expect(crawl!.finishedAt).not.toBeNull();
    expect(await store.pages(id, 0, 10)).toHaveLength(3);
  });

  it('expires every key of a crawl with the result TTL', async () => {
    const id = randomUUID();
    await store.create(id, 'http://s.test/', crawlOptions({}));
    await store.finishPage(id, 'http://s.test/', record('http://s.test/'), 'fetched', [
      { url: 'http://s.test/a', allowed: true },
    ]);
    const keys = await redis.keys(`*crawl-run:{${id}}:*`);
    expect(keys.length).toBe(7);
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(500);
      expect(ttl).toBeLessThanOrEqual(600);
    }
  });

  it("gives a crawl's sitemap files room for CRAWL_SITEMAP_MAX_URLS URLs in all", async () => {
    const id = randomUUID();
    await store.create(id, 'http://s.test/', crawlOptions({}));
    expect(await Promise.all([store.sitemapUrlRoom(id, 3, 5), store.sitemapUrlRoom(id, 4, 5)])).toEqual([3, 2]);
    expect(await store.sitemapUrlRoom(id, 1, 5)).toBe(0);
    expect(await store.sitemapUrlRoom(id, 0, 5)).toBe(0);
  });

  it('cancels only a running crawl', async () => {
    const id = randomUUID();
    await store.create(id, 'http://s.test/', crawlOptions({}));
    expect(await store.cancel(id)).toBe('running');
    expect(await store.cancel(id)).toBe('cancelled');
    expect(await store.cancel('missing')).toBeNull();
    // A page finishing after the cancel is recorded but claims nothing.
    expect(
      await store.finishPage(id, 'http://s.test/', record('http://s.test/'), 'fetched', [
        { url: 'http://s.test/a', allowed: true },
      ]),
    ).toEqual([]);
  });

  it('hands out one request slot per delay for a host', async () => {
    const host = `h-${randomUUID()}`;
    expect(await store.reserveSlots('c1', host, 0, 1000, 10_000)).toBe(0);
    expect(await store.reserveSlots('c1', host, 0, 1000, 10_400)).toBe(600);
    expect(await store.reserveSlots('c1', host, 0, 1000, 11_000)).toBe(0);
  });

  it('spaces a crawl by its own delay without holding up another crawl of the host', async () => {
    const host = `h-${randomUUID()}`;
    expect(await store.reserveSlots('slow', host, 60_000, 0, 10_000)).toBe(0);
    expect(await store.reserveSlots('slow', host, 60_000, 0, 10_100)).toBe(59_900);
    expect(await store.reserveSlots('fast', host, 0, 0, 10_100)).toBe(0);
    expect(await store.reserveSlots('fast', host, 100, 0, 10_100)).toBe(0);
    // Crawl-delay is the host's: it spaces both crawls, and a refused reservation takes neither slot.
    expect(await store.reserveSlots('fast', host, 100, 500, 10_300)).toBe(0);
    expect(await store.reserveSlots('slow2', host, 0, 500, 10_400)).toBe(400);
    expect(await store.reserveSlots('fast', host, 100, 500, 10_800)).toBe(0);
  });

  it('never adds links past maxPages to the seen-set, but counts them', async () => {
    const id = randomUUID();
    await store.create(id, 'http://s.test/', crawlOptions({ maxPages: 1 }));
    const children = Array.from({ length: 200 }, (_, i) => ({ url: `http://s.test/${i}`, allowed: true }));
    expect(await store.finishPage(id, 'http://s.test/', record('http://s.test/'), 'fetched', children)).toEqual([]);
    expect(await redis.scard(`${(store as unknown as { prefix: string }).prefix}:crawl-run:{${id}}:seen`)).toBe(1);
    expect(await store.get(id)).toMatchObject({
      state: 'completed',
      stats: { queued: 1, skipped: 200, discovered: 201 },
    });
  });

  it('marks a page whose text an earlier page had as duplicateOf, atomically, and follows none of its links', async () => {
    const id = randomUUID();
    await store.create(id, 'http://s.test/', crawlOptions({ maxPages: 100 }));
    const children = Array.from({ length: 20 }, (_, i) => ({ url: `http://s.test/copy-${i}`, allowed: true }));
    await store.finishPage(id, 'http://s.test/', record('http://s.test/', 'other'), 'fetched', children);
    // Twenty copies of one page finish at once: exactly one is the original.
    const claimed = await Promise.all(
      children.map((child) =>
        store.finishPage(id, child.url, record(child.url, 'same'), 'fetched', [
          { url: `${child.url}/next`, allowed: true },
        ]),
      ),
    );
    const pages = (await store.pages(id, 0, 100)).map(
      (text) => JSON.parse(text) as { url: string; duplicateOf?: string },
    );
    const originals = pages.filter((page) => page.url.includes('copy') && !page.duplicateOf);
    expect(originals).toHaveLength(1);
    expect(pages.filter((page) => page.duplicateOf === originals[0].url)).toHaveLength(19);
    expect(claimed.filter((urls) => urls.length > 0)).toEqual([[`${originals[0].url}/next`]]);
  });

  it('lists every running crawl in batches, however many, and drops ended ones from the list', async () => {
    const own = new CrawlStore(redis, `test-${randomUUID()}`, 600);
    const ids = Array.from({ length: 1203 }, () => randomUUID());
    for (const [index, id] of ids.entries())
      await own.create(id, 'http://s.test/', crawlOptions({}), undefined, 'default', 1000 + index);
    for (const id of ids.slice(0, 700)) if (ids.indexOf(id) % 2 === 0) await own.cancel(id);
    const listed: string[] = [];
    for await (const batch of own.running(100)) listed.push(...batch.map((crawl) => crawl.id));
    expect(listed).toEqual(ids.filter((_, index) => !(index < 700 && index % 2 === 0)));
    const again: string[] = [];
    for await (const batch of own.running(100)) again.push(...batch.map((crawl) => crawl.id));
    expect(again).toEqual(listed);
  });

  it('takes 100,000 children in one call and keeps what is in flight', async () => {
    const id = randomUUID();
    await store.create(id, 'http://s.test/', crawlOptions({ maxPages: 1_000_000 }));
    const children = Array.from({ length: 100_000 }, (_, i) => ({ url: `http://s.test/${i}`, allowed: true }));
    const claimed = await store.finishPage(id, 'http://s.test/', record('http://s.test/'), 'fetched', children);
    expect(claimed).toHaveLength(100_000);
    let inflight = 0;
    for await (const batch of store.inflight(id)) inflight += batch.length;
    expect(inflight).toBe(100_000);
  });
});
