import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Frontier, runInProcess, decodeEntry, encodeEntry, type FrontierEntry } from './frontier.js';
import { frontierKeys, politeKey } from '@crawlfleet/core';

/* The frontier's scripts (push, dispatch, begin, settle, drop) against the run's real redis-server. */

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.disconnect());

function frontier(
  overrides: { hostCap?: number; attempts?: number; shards?: number; timeoutMs?: number; lockMs?: number } = {},
) {
  const config = {
    queuePrefix: `test-${randomUUID()}`,
    crawlQueueShards: overrides.shards ?? 1,
    crawlHostConcurrency: overrides.hostCap ?? 4,
    crawlTimeoutMs: overrides.timeoutMs ?? 1000,
    jobAttempts: overrides.attempts ?? 3,
    resultTtlSeconds: 600,
    workerLockDurationMs: overrides.lockMs,
  };
  return { frontier: new Frontier(redis, config), config };
}

const pages = (host: string, count: number, depth = 1): FrontierEntry[] =>
  Array.from({ length: count }, (_, index) => ({ depth, tries: 0, waits: 0, url: `http://${host}/${index}` }));

describe('frontier entries', () => {
  it('round-trip, with a resume hop and a backoff', () => {
    const entry = { depth: 2, tries: 1, waits: 3, url: 'http://a.test/x?b=1', resume: 'http://b.test/y', after: 5 };
    expect(encodeEntry(entry)).toBe('@5 2 1 3 http://a.test/x?b=1 http://b.test/y');
    const { after: _after, ...rest } = entry;
    expect(decodeEntry(encodeEntry(entry))).toEqual(rest);
  });
});

describe('dispatch', () => {
  it('serves due hosts oldest first, each page with a lease, at most the host cap at a time', async () => {
    const { frontier: f } = frontier({ hostCap: 2 });
    await f.push('c1', 'p', pages('a.test', 5));
    await f.push('c1', 'p', pages('b.test', 5));
    const first = await f.dispatch(0, 'p', 100);
    expect(first.pages.map((page) => page.host)).toEqual(['a.test', 'a.test', 'b.test', 'b.test']);
    expect(new Set(first.pages.map((page) => page.lease)).size).toBe(4);
    expect(await redis.zcard(f.hostKey('a.test', 'leases'))).toBe(2);
    // Both hosts are full: nothing more until a lease goes back.
    expect((await f.dispatch(0, 'p', 100)).pages).toHaveLength(0);
    const [done] = first.pages;
    await f.settle({ ...done, crawlId: 'c1' });
    const next = await f.dispatch(0, 'p', 100);
    expect(next.pages.map((page) => [page.host, page.entry.url])).toEqual([['a.test', 'http://a.test/2']]);
    expect(await f.held('c1', 'p')).toBe(9);
  });

  it('passes a lease given back on to its own host only, by the same turns, leaving lapsed claims alone', async () => {
    const { frontier: f, config } = frontier({ hostCap: 1 });
    await f.push('a', 'p', pages('one.test', 3));
    await f.push('b', 'p', pages('one.test', 3));
    await f.push('a', 'p', pages('two.test', 3));
    const first = await f.dispatch(0, 'p', 100);
    expect(first.pages.map((page) => `${page.crawlId}@${page.host}`)).toEqual(['a@one.test', 'a@two.test']);
    // A lapsed claim (its worker died) is the dispatchers' to send back, not a hand-on's.
    await f.lapse(0, 'p', first.pages[1].lease);
    // Full host: nothing to pass on until its lease is back.
    expect((await f.dispatch(0, 'p', 1, Date.now(), 'one.test')).pages).toHaveLength(0);
    await f.settle(first.pages[0]);
    const next = await f.dispatch(0, 'p', 5, Date.now(), 'one.test');
    // Crawl b's turn on the host; one lease, so one page; two.test is not served.
    expect(next.pages.map((page) => `${page.crawlId}@${page.host}`)).toEqual(['b@one.test']);
    expect(next.lost).toEqual([]);
    expect(await redis.hexists(frontierKeys(config.queuePrefix, 0, 'p').out, first.pages[1].lease)).toBe(1);
    // An idle host's name asks for nothing.
    expect((await f.dispatch(0, 'p', 1, Date.now(), 'none.test')).pages).toHaveLength(0);
  });

  it("claims a full host's next page ahead, without a lease, only for crawls without their own cap or delay", async () => {
    const { frontier: f, config } = frontier({ hostCap: 1 });
    await f.push('capped', 'p', pages('one.test', 2), { cap: 1 });
    await f.push('free', 'p', pages('one.test', 2));
    const [first] = (await f.dispatch(0, 'p', 1)).pages;
    expect(first.crawlId).toBe('capped');
    const due = await redis.zscore(f.dueKey('one.test', 'p'), 'one.test');
    const ahead = await f.dispatch(0, 'p', 1, Date.now(), 'one.test', true);
    // The capped crawl's turn is passed over: its lease would be the crawl's, not the host's alone.
    expect(ahead.pages.map((page) => [page.crawlId, page.entry.url])).toEqual([['free', 'http://one.test/0']]);
    // A claim in flight, named as run in-process, and no lease taken; the host's place in the due set is kept.
    expect(runInProcess(ahead.pages[0].lease)).toBe(true);
    expect(runInProcess(first.lease)).toBe(false);
    expect(await redis.zrange(f.hostKey('one.test', 'leases'), 0, -1)).toEqual([first.lease]);
    expect(await redis.hexists(frontierKeys(config.queuePrefix, 0, 'p').out, ahead.pages[0].lease)).toBe(1);
    expect(await redis.zscore(f.dueKey('one.test', 'p'), 'one.test')).toBe(due);
    // It begins without a lease of its own; a paused host gets nothing ahead.
    expect(await f.begin({ ...ahead.pages[0], ahead: true })).toBe('go');
    await redis.set(f.hostKey('one.test', 'pause'), '1', 'PX', 5000);
    expect((await f.dispatch(0, 'p', 1, Date.now(), 'one.test', true)).pages).toHaveLength(0);
  });

  it('skips a paused host until its pause ends', async () => {
    const { frontier: f } = frontier();
    await redis.set(f.hostKey('slow.test', 'pause'), '1', 'PX', 5000);
    await f.push('c1', 'p', pages('slow.test', 2));
    await f.push('c1', 'p', pages('ok.test', 1));
    const now = Date.now();
    const handed = await f.dispatch(0, 'p', 100, now);
    expect(handed.pages.map((page) => page.host)).toEqual(['ok.test']);
    expect(handed.nextDueMs).toBeGreaterThan(4000);
    await redis.del(f.hostKey('slow.test', 'pause'));
    expect((await f.dispatch(0, 'p', 100, now + 5001)).pages.map((page) => page.host)).toEqual([
      'slow.test',
      'slow.test',
    ]);
  });

  it('serves crawls on one host round-robin, and tenants by their stride', async () => {
    const { frontier: f } = frontier({ hostCap: 1000 });
    await f.push('a', 'p', pages('h.test', 20));
    await f.push('b', 'p', pages('h.test', 20));
    const even = await f.dispatch(0, 'p', 10);
    expect(even.pages.map((page) => page.crawlId).join('')).toBe('ababababab');
    // Tenant X runs three crawls (stride 3 each), tenant Y one (stride 1): Y gets half the host.
    const { frontier: g } = frontier({ hostCap: 1000 });
    for (const crawl of ['x1', 'x2', 'x3']) await g.push(crawl, 'p', pages('h.test', 30), { stride: 3 });
    await g.push('y', 'p', pages('h.test', 30), { stride: 1 });
    const shares = await g.dispatch(0, 'p', 60);
    const ofY = shares.pages.filter((page) => page.crawlId === 'y').length;
    expect(ofY).toBeGreaterThanOrEqual(29);
    expect(ofY).toBeLessThanOrEqual(31);
  });

  it("spaces a crawl's pages by its delayMs, and every crawl's by the host's Crawl-delay", async () => {
    const { frontier: f } = frontier();
    await f.push('slow', 'p', pages('h.test', 3), { delayMs: 1000 });
    await f.push('fast', 'p', pages('h.test', 3));
    const now = Date.now();
    const first = await f.dispatch(0, 'p', 100, now);
    // The slow crawl gets one page, the fast one its three (within the host cap of 4).
    expect(first.pages.map((page) => page.crawlId).sort()).toEqual(['fast', 'fast', 'fast', 'slow']);
    for (const page of first.pages) await f.settle(page, now);
    expect((await f.dispatch(0, 'p', 100, now + 10)).pages).toHaveLength(0);
    expect((await f.dispatch(0, 'p', 100, now + 1001)).pages.map((page) => page.crawlId)).toEqual(['slow']);
    const { frontier: g } = frontier();
    await g.setCrawlDelay('d.test', 500);
    await g.push('c1', 'p', pages('d.test', 3));
    await g.push('c2', 'p', pages('d.test', 3));
    const at = Date.now();
    expect((await g.dispatch(0, 'p', 100, at)).pages).toHaveLength(1);
    expect((await g.dispatch(0, 'p', 100, at + 100)).pages).toHaveLength(0);
    expect((await g.dispatch(0, 'p', 100, at + 501)).pages).toHaveLength(1);
  });

  it('holds a crawl to its own cap on a host while another crawl uses the rest', async () => {
    const { frontier: f } = frontier({ hostCap: 4 });
    await f.push('one', 'p', pages('h.test', 5), { cap: 1 });
    await f.push('other', 'p', pages('h.test', 5));
    const handed = await f.dispatch(0, 'p', 100);
    expect(handed.pages.filter((page) => page.crawlId === 'one')).toHaveLength(1);
    expect(handed.pages.filter((page) => page.crawlId === 'other')).toHaveLength(3);
  });

  it('hands a page out again when its claim lapses, and reports it lost after JOB_ATTEMPTS hand-outs', async () => {
    const { frontier: f } = frontier({ attempts: 2 });
    await f.push('c1', 'p', pages('h.test', 1));
    const now = Date.now();
    const first = await f.dispatch(0, 'p', 10, now);
    expect(first.pages).toHaveLength(1);
    // Its worker died: no settle. Past the claim's time the page is handed out again, one try more.
    const later = now + f.claimTtlMs + 1;
    const second = await f.dispatch(0, 'p', 10, later);
    expect(second.pages.map((page) => [page.entry.url, page.entry.tries])).toEqual([['http://h.test/0', 1]]);
    expect(second.pages[0].lease).not.toBe(first.pages[0].lease);
    const third = await f.dispatch(0, 'p', 10, later + f.claimTtlMs + 1);
    expect(third.pages).toHaveLength(0);
    expect(third.lost.map((page) => [page.crawlId, page.entry.url])).toEqual([['c1', 'http://h.test/0']]);
    expect(await f.held('c1', 'p')).toBe(0);
  });

  it("lets an in-process page's claim lapse after a job lock's time, not after two fetch deadlines", async () => {
    const { frontier: f, config } = frontier({ hostCap: 3, timeoutMs: 10_000, lockMs: 5000 });
    const expiry = (lease: string) => redis.zscore(frontierKeys(config.queuePrefix, 0, 'p').outExpiry, lease);
    await f.push('c1', 'p', pages('k.test', 3));
    const now = Date.now();
    const [job] = (await f.dispatch(0, 'p', 1, now)).pages;
    // A page job's claim: its BullMQ job's lock finds a killed worker; the claim waits two fetch deadlines.
    expect(Number(await expiry(job.lease))).toBe(now + 30_000);
    await f.settle(job, now);
    const [handedOn] = (await f.dispatch(0, 'p', 1, now, 'k.test')).pages;
    expect(runInProcess(handedOn.lease)).toBe(true);
    // No job stands for it: its claim is the lock's time, and renewing keeps it that short.
    expect(Number(await expiry(handedOn.lease))).toBe(now + 5000);
    expect(await f.begin(handedOn, now + 1000)).toBe('go');
    await f.renew(handedOn, now + 2000);
    expect(Number(await expiry(handedOn.lease))).toBe(now + 7000);
    // Its worker died: 5 s after the last renewal the page is handed out again, on a lease of its own
    // (the dead worker's lapses by itself, after the fetch deadline).
    const before = await f.dispatch(0, 'p', 1, now + 6999);
    expect(before.pages.map((page) => page.entry.url)).toEqual(['http://k.test/2']);
    const again = await f.dispatch(0, 'p', 1, now + 7001);
    expect(again.pages.map((page) => [page.entry.url, page.entry.tries])).toEqual([[handedOn.entry.url, 1]]);
  });

  it('a page whose lease an earlier run used goes back and keeps the lease until it lapses', async () => {
    const { frontier: f } = frontier({ hostCap: 1 });
    await f.push('c1', 'p', pages('h.test', 1));
    const [page] = (await f.dispatch(0, 'p', 10)).pages;
    expect(await f.begin(page)).toBe('go');
    // The job runs again (its worker lost its lock): the first run's request may be in flight.
    expect(await f.begin(page)).toBe('requeue');
    await f.putBack(page, page.entry, {}, 0, true);
    expect(await redis.zcard(politeKey(f['config'].queuePrefix, 'h.test', 'leases', 1))).toBe(1);
    expect((await f.dispatch(0, 'p', 10)).pages).toHaveLength(0);
    const again = await f.dispatch(0, 'p', 10, Date.now() + f.leaseTtlMs + 1);
    expect(again.pages.map((handed) => handed.entry.url)).toEqual(['http://h.test/0']);
  });

  it('drops a cancelled crawl, and keeps every key of a host in its shard', async () => {
    const { frontier: f, config } = frontier({ shards: 8 });
    await f.push('c1', 'p', [...pages('a.test', 3), ...pages('b.test', 3), ...pages('c.test', 3)]);
    expect(await f.held('c1', 'p')).toBe(9);
    expect(await f.drop('c1', 'p')).toBe(9);
    expect(await f.held('c1', 'p')).toBe(0);
    const keys = await redis.keys(`${config.queuePrefix}:*`);
    for (const key of keys) expect(key).toMatch(/^test-[^:]+:\{frontier-\d\}:/);
  });
});
