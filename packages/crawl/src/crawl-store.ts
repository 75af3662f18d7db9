import { withScripts, type Scripted } from './crawl-scripts.js';
import { hostKey } from '@crawlfleet/core/runtime';
import { recordParts, validators } from './page-record.js';
import {
  frontierKeys,
  runningCrawlsKey,
  DEFAULT_TENANT,
  allCrawlsKey,
  tenantKeys,
  COUNTERS,
  LEGACY_OPTIONS,
  crawlKeys,
  urlHash,
  answeredOk,
  duplicateKey,
  failureLabel,
  endedFailed,
  type RedisClient,
  type WebhookSpec,
  type CrawlOptions,
  type CrawlState,
  type CrawlStats,
  type PageRecord,
  type ChildLink,
  type CrawlRecord,
  type InflightPage,
} from '@crawlfleet/core/runtime';

/**
 * The state of recursive crawls in Redis, shared by the API (create, read,
 * cancel, list pages) and the crawl workers (finish pages, politeness).
 */
export class CrawlStore {
  private readonly redis: Scripted;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    /** CRAWL_QUEUE_SHARDS: where the crawl's pages wait in the frontier (waitingForHost). */
    private readonly shards = 1,
  ) {
    this.redis = withScripts(redis);
  }

  private keys(id: string) {
    return crawlKeys(this.prefix, id);
  }

  /** The ids of crawls that were running when last looked at (the sweep's list). */
  private get runningKey(): string {
    return runningCrawlsKey(this.prefix);
  }

  /**
   * Creates a running crawl of `tenant` whose seed is claimed and pending;
   * its webhook is kept apart from its options.
   */
  async create(
    id: string,
    seed: string,
    options: CrawlOptions,
    webhook?: WebhookSpec,
    tenant = DEFAULT_TENANT,
    now = Date.now(),
  ) {
    const keys = this.keys(id);
    await this.redis
      .multi()
      .hset(keys.meta, {
        ...(webhook ? { webhook: JSON.stringify(webhook) } : {}),
        tenant,
        seed,
        options: JSON.stringify(options),
        // Its URLs are canonical (sorted queries): a recrawl of an older crawl maps that one's URLs (recrawls.ts).
        urlForm: 'canonical',
        state: 'running',
        createdAt: String(now),
        maxPages: String(options.maxPages),
        maxBytes: String(options.maxBytes ?? 0),
        maxDurationMs: String(options.maxDurationMs ?? 0),
        discovered: '1',
        queued: '1',
        fetched: '0',
        failed: '0',
        skipped: '0',
        pending: '1',
        answered: '0',
      })
      .hset(keys.meta, 'lastAt', String(now))
      .sadd(keys.seen, urlHash(seed))
      .hset(keys.inflight, urlHash(seed), `0 ${seed}`)
      .expire(keys.meta, this.ttlSeconds)
      .expire(keys.seen, this.ttlSeconds)
      .expire(keys.inflight, this.ttlSeconds)
      .exec();
    // Apart: a MULTI is one hash slot on a cluster, and these lists are not in the crawl's.
    const expired = now - this.ttlSeconds * 1000;
    const all = allCrawlsKey(this.prefix);
    const own = tenantKeys(this.prefix, tenant);
    await Promise.all([
      this.redis.zadd(this.runningKey, now, id),
      this.redis.multi().zadd(all, now, id).zremrangebyscore(all, '-inf', expired).exec(),
      this.redis.multi().zadd(own.crawls, now, id).zremrangebyscore(own.crawls, '-inf', expired).exec(),
      this.redis.zadd(own.running, now, id),
    ]);
  }

  /** Removes a crawl of `tenant` whose seed could not be queued. */
  async discard(id: string, tenant = DEFAULT_TENANT): Promise<void> {
    const own = tenantKeys(this.prefix, tenant);
    await this.redis.del(...Object.values(this.keys(id)));
    await Promise.all(
      [this.runningKey, allCrawlsKey(this.prefix), own.crawls, own.running].map((key) => this.redis.zrem(key, id)),
    );
  }

  /**
   * Crawl ids, newest first, from the operator's list (every tenant) or
   * `tenant`'s: at most `count` created before `before` (ms), with their times.
   */
  async listIds(tenant: string | null, before: number, count: number): Promise<{ id: string; at: number }[]> {
    const key = tenant === null ? allCrawlsKey(this.prefix) : tenantKeys(this.prefix, tenant).crawls;
    const flat = await this.redis.zrevrangebyscore(key, `(${before}`, '-inf', 'WITHSCORES', 'LIMIT', 0, count);
    const out: { id: string; at: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ id: flat[i], at: Number(flat[i + 1]) });
    return out;
  }

  /** The crawl, or null when it does not exist or has expired. */
  async get(id: string): Promise<CrawlRecord | null> {
    const meta = await this.redis.hgetall(this.keys(id).meta);
    if (!meta.state) return null;
    const lane = (JSON.parse(meta.options ?? '{}') as CrawlOptions).render ? 'r' : 'p';
    const counts = await Promise.all(
      Array.from({ length: Math.max(1, this.shards) }, (_, shard) =>
        this.redis.hget(frontierKeys(this.prefix, shard, lane).crawl(id), 'n'),
      ),
    );
    // Pages in the frontier: waiting for their host's turn, or handed out and not yet finished.
    const waiting = counts.reduce((sum, count) => sum + Math.max(0, Number(count ?? 0)), 0);
    const counters = Object.fromEntries(COUNTERS.map((name) => [name, Number(meta[name] ?? 0)]));
    const stats = { ...counters, waitingForHost: waiting } as CrawlStats;
    const failed = meta.state === 'completed' && endedFailed(stats, meta.answered);
    return {
      id,
      tenant: meta.tenant ?? DEFAULT_TENANT,
      state: failed ? 'failed' : (meta.state as CrawlState),
      seed: meta.seed ?? '',
      options: { ...LEGACY_OPTIONS, ...(JSON.parse(meta.options ?? '{}') as CrawlOptions) },
      stats,
      stopReason: (meta.stopReason as CrawlRecord['stopReason'] | undefined) ?? null,
      createdAt: new Date(Number(meta.createdAt)).toISOString(),
      finishedAt: meta.finishedAt ? new Date(Number(meta.finishedAt)).toISOString() : null,
    };
  }

  /** The crawl's webhook and tenant, or null when it has no webhook. */
  async webhook(id: string): Promise<{ spec: WebhookSpec; tenant: string } | null> {
    const [spec, tenant] = await this.redis.hmget(this.keys(id).meta, 'webhook', 'tenant');
    return spec === null ? null : { spec: JSON.parse(spec) as WebhookSpec, tenant: tenant ?? DEFAULT_TENANT };
  }

  /** Where a delivery reads the crawl's webhook spec at each attempt. */
  webhookAt(id: string): { key: string; field: string } {
    return { key: this.keys(id).meta, field: 'webhook' };
  }

  /** The crawl's state, or null when it does not exist. */
  async state(id: string): Promise<CrawlState | null> {
    return (await this.redis.hget(this.keys(id).meta, 'state')) as CrawlState | null;
  }

  /** The crawl's state, and whether a budget (maxBytes, maxDuration) has stopped it claiming. */
  async runState(id: string): Promise<{ state: CrawlState | null; overBudget: boolean }> {
    const [state, reason] = await this.redis.hmget(this.keys(id).meta, 'state', 'stopReason');
    const overBudget = reason === 'maxBytes' || reason === 'maxDuration' || reason === 'quota';
    return { state: state as CrawlState | null, overBudget };
  }

  /** Stops a crawl claiming more pages, for `reason` (unless it has one already): its queued pages are dropped. */
  async stop(id: string, reason: 'quota'): Promise<void> {
    await this.redis.hsetnx(this.keys(id).meta, 'stopReason', reason);
  }

  /**
   * Records a finished page and claims its children atomically.
   * The children go as one JSON argument, whatever their number (one
   * argument per child overflowed the stack at 100,000 links).
   * @param dropped links the caller left out (over budget), counted as skipped
   * @param maxStoredBytes the crawl's cap on content bytes (CRAWL_MAX_STORED_BYTES_PER_CRAWL)
   * @returns the child URLs this page claimed, to be queued; a page finished
   *   before (a retry) returns the same list, so re-adding is idempotent.
   */
  async finishPage(...args: Parameters<CrawlStore['finish']>): Promise<string[]> {
    return (await this.finish(...args)).claimed;
  }

  /** finishPage, and whether this page ended the crawl (its last pending page). */
  async finish(
    id: string,
    url: string,
    record: PageRecord,
    outcome: 'fetched' | 'failed' | 'skipped' | 'dropped' | 'sitemap',
    children: ChildLink[],
    options: {
      childDepth?: number;
      dropped?: number;
      now?: number;
      maxStoredBytes?: number;
      /** Sitemap files the crawl reads at most (children flagged sitemapFile past it are not claimed). */
      maxSitemapFiles?: number;
    } = {},
  ): Promise<{ claimed: string[]; ended: boolean }> {
    const keys = this.keys(id);
    const encoded = JSON.stringify(
      children.map((child) => [
        urlHash(child.url),
        child.url,
        child.allowed ? 1 : 0,
        child.fromSitemap ? 1 : 0,
        child.sitemapFile ? 1 : 0,
      ]),
    );
    const {
      childDepth = record.depth + 1,
      dropped = 0,
      now = Date.now(),
      maxStoredBytes = Infinity,
      maxSitemapFiles = 0,
    } = options;
    // Content is stored while the crawl is within its cap; Redis decides, however many workers race.
    const parts = recordParts(record);
    const [claimed, ended] = await this.redis.cfFinishPage(
      keys.meta,
      keys.seen,
      keys.done,
      keys.pages,
      keys.expanded,
      keys.inflight,
      keys.content,
      keys.validators,
      urlHash(url),
      JSON.stringify(parts.base),
      outcome,
      this.ttlSeconds,
      now,
      encoded,
      childDepth,
      dropped,
      duplicateKey(record),
      url,
      parts.content,
      parts.bytes,
      Number.isFinite(maxStoredBytes) ? maxStoredBytes : Number.MAX_SAFE_INTEGER,
      parts.fallback,
      record.bytes ?? 0,
      record.change ?? '',
      validators(record),
      outcome === 'fetched' && answeredOk(record.status) ? 1 : 0,
      outcome === 'sitemap' ? '' : failureLabel(record, outcome),
      maxSitemapFiles,
    );
    return { claimed: JSON.parse(claimed) as string[], ended: ended === 1 };
  }

  /**
   * How many more pages the crawl may claim, and which of `urls` it has not
   * seen: to look up robots.txt only for links that can still be claimed.
   */
  async unclaimed(id: string, urls: string[]): Promise<{ room: number; fresh: boolean[] }> {
    const keys = this.keys(id);
    const [[queued, maxPages], seen] = await Promise.all([
      this.redis.hmget(keys.meta, 'queued', 'maxPages'),
      urls.length ? this.redis.smismember(keys.seen, ...urls.map(urlHash)) : Promise.resolve([] as number[]),
    ]);
    return {
      room: Math.max(0, Number(maxPages ?? 0) - Number(queued ?? 0)),
      fresh: seen.map((member) => member === 0),
    };
  }

  /** The pages a crawl claimed and has not finished, in batches. */
  async *inflight(id: string): AsyncGenerator<InflightPage[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys(id).inflight, cursor, 'COUNT', 500);
      cursor = next;
      const batch: InflightPage[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const value = flat[i + 1];
        const space = value.indexOf(' ');
        batch.push({ hash: flat[i], depth: Number(value.slice(0, space)), url: value.slice(space + 1) });
      }
      if (batch.length) yield batch;
    } while (cursor !== '0');
  }

  /**
   * Every crawl still running, with when it last finished a page, in batches
   * (oldest first); ended and expired ones leave the list on the way.
   */
  async *running(batchSize = 500): AsyncGenerator<{ id: string; lastAt: number }[]> {
    for (let start = 0; ;) {
      const ids = await this.redis.zrange(this.runningKey, start, start + batchSize - 1);
      if (ids.length === 0) return;
      const metas = await Promise.all(ids.map((id) => this.redis.hmget(this.keys(id).meta, 'state', 'lastAt')));
      const ended = ids.filter((_, index) => metas[index][0] !== 'running');
      if (ended.length) await this.redis.zrem(this.runningKey, ...ended);
      // Removing the ended shifts the ones after them down by as many.
      start += ids.length - ended.length;
      yield ids.flatMap((id, index) =>
        metas[index][0] === 'running' ? [{ id, lastAt: Number(metas[index][1] ?? 0) }] : [],
      );
    }
  }

  /** What a crawl's end says (crawl-hooks.ts logs it): its record, body bytes fetched and failures by why. */
  async totals(id: string): Promise<{ crawl: CrawlRecord; bytes: number; failedBy: Record<string, number> } | null> {
    const [crawl, meta] = await Promise.all([this.get(id), this.redis.hgetall(this.keys(id).meta)]);
    if (!crawl) return null;
    const failedBy: Record<string, number> = {};
    for (const [field, value] of Object.entries(meta))
      if (field.startsWith('code:')) failedBy[field.slice('code:'.length)] = Number(value);
    return { crawl, bytes: Number(meta.bytesFetched ?? 0), failedBy };
  }

  /**
   * Takes room for `wanted` URLs a sitemap file lists within the crawl's
   * `max` (CRAWL_SITEMAP_MAX_URLS), however many files are read at once.
   * @returns how many of them the crawl may take
   */
  async sitemapUrlRoom(id: string, wanted: number, max: number): Promise<number> {
    if (wanted === 0) return 0;
    const total = await this.redis.hincrby(this.keys(id).meta, 'sitemapUrls', wanted);
    return Math.max(0, Math.min(wanted, max - (total - wanted)));
  }

  /** The children a finished page claimed, or null when the page is not finished. */
  async claimedBy(id: string, url: string): Promise<string[] | null> {
    const claimed = await this.redis.hget(this.keys(id).expanded, urlHash(url));
    return claimed === null ? null : (JSON.parse(claimed) as string[]);
  }

  /** Stops a crawl. @returns its state before, or null if unknown. */
  async cancel(id: string, now = Date.now()): Promise<CrawlState | null> {
    return (await this.redis.cfCancel(this.keys(id).meta, String(now))) as CrawlState | null;
  }

  /** Page records `start`..`start + count - 1`, as stored (JSON). */
  async pages(id: string, start: number, count: number): Promise<string[]> {
    return this.redis.lrange(this.keys(id).pages, start, start + count - 1);
  }

  /**
   * Politeness for one request to `host`: the crawl's own slot (its
   * `delayMs`, spacing only this crawl) and the host's slot (robots.txt
   * Crawl-delay, spacing every crawl of the host), taken together or not at all.
   * @returns 0 to fetch now (both slots taken), else the ms to wait.
   */
  async reserveSlots(
    id: string,
    host: string,
    crawlDelayMs: number,
    hostDelayMs: number,
    now = Date.now(),
  ): Promise<number> {
    // Both in the host's slot (the script takes both at once); the crawl's is its share of the host.
    const crawlKey = hostKey(this.prefix, host, `crawl:${id}:slot`);
    const hostSlot = hostKey(this.prefix, host, 'slot');
    return Number(await this.redis.cfReserveSlots(crawlKey, hostSlot, now, crawlDelayMs, hostDelayMs));
  }
}
