import { hash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CANCEL, FINISH_PAGE, RESERVE_HOST_SLOT } from './crawl-scripts.js';
import type { CrawlOptions, CrawlState, CrawlStats, PageRecord } from './schemas.js';

/** A crawl as the store holds it. */
export interface CrawlRecord {
  id: string;
  state: CrawlState;
  seed: string;
  options: CrawlOptions;
  stats: CrawlStats;
  createdAt: string;
  finishedAt: string | null;
}

/** A link found on a page, as offered to {@link CrawlStore.finishPage}. */
export interface ChildLink {
  url: string;
  /** false: in scope but refused (robots.txt); counted as skipped, not fetched. */
  allowed: boolean;
}

/** The hash that stands for a normalized URL in a crawl's seen-set. */
export function urlHash(url: string): string {
  // One-shot hash(): half the cost of createHash() for short inputs; ~40 calls a page.
  return hash('sha256', url, 'hex').slice(0, 32);
}

/** The BullMQ job id of a crawl's page: the same URL always gets the same id. */
export function pageJobId(crawlId: string, url: string): string {
  return `page-${crawlId}-${urlHash(url)}`;
}

type Scripted = Redis & {
  cfFinishPage(...args: (string | number)[]): Promise<string>;
  cfCancel(meta: string, now: string): Promise<string | null>;
  cfReserveHostSlot(key: string, now: number, delayMs: number): Promise<number>;
};

function withScripts(redis: Redis): Scripted {
  const scripted = redis as Scripted;
  if (typeof scripted.cfFinishPage !== 'function') {
    redis.defineCommand('cfFinishPage', { numberOfKeys: 5, lua: FINISH_PAGE });
    redis.defineCommand('cfCancel', { numberOfKeys: 1, lua: CANCEL });
    redis.defineCommand('cfReserveHostSlot', { numberOfKeys: 1, lua: RESERVE_HOST_SLOT });
  }
  return scripted;
}

const COUNTERS = ['discovered', 'queued', 'fetched', 'failed', 'skipped'] as const;

/**
 * The state of recursive crawls in Redis, shared by the API (create, read,
 * cancel, list pages) and the crawl workers (finish pages, politeness).
 */
export class CrawlStore {
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {
    this.redis = withScripts(redis);
  }

  private keys(id: string) {
    const base = `${this.prefix}:crawl-run:${id}`;
    return { meta: `${base}:meta`, seen: `${base}:seen`, done: `${base}:done`, pages: `${base}:pages`, expanded: `${base}:expanded` };
  }

  /** Creates a running crawl whose seed is claimed and pending. */
  async create(id: string, seed: string, options: CrawlOptions, now = Date.now()): Promise<void> {
    const keys = this.keys(id);
    await this.redis
      .multi()
      .hset(keys.meta, {
        seed, options: JSON.stringify(options), state: 'running', createdAt: String(now), maxPages: String(options.maxPages),
        discovered: '1', queued: '1', fetched: '0', failed: '0', skipped: '0', pending: '1',
      })
      .sadd(keys.seen, urlHash(seed))
      .expire(keys.meta, this.ttlSeconds)
      .expire(keys.seen, this.ttlSeconds)
      .exec();
  }

  /** Removes a crawl whose seed could not be queued. */
  async discard(id: string): Promise<void> {
    await this.redis.del(...Object.values(this.keys(id)));
  }

  /** The crawl, or null when it does not exist or has expired. */
  async get(id: string): Promise<CrawlRecord | null> {
    const meta = await this.redis.hgetall(this.keys(id).meta);
    if (!meta.state) return null;
    const stats = Object.fromEntries(COUNTERS.map((name) => [name, Number(meta[name] ?? 0)])) as CrawlStats;
    return {
      id,
      state: meta.state as CrawlState,
      seed: meta.seed ?? '',
      options: JSON.parse(meta.options ?? '{}') as CrawlOptions,
      stats,
      createdAt: new Date(Number(meta.createdAt)).toISOString(),
      finishedAt: meta.finishedAt ? new Date(Number(meta.finishedAt)).toISOString() : null,
    };
  }

  /** The crawl's state, or null when it does not exist. */
  async state(id: string): Promise<CrawlState | null> {
    return (await this.redis.hget(this.keys(id).meta, 'state')) as CrawlState | null;
  }

  /**
   * Records a finished page and claims its children atomically.
   * @returns the child URLs this page claimed, to be queued; a page finished
   *   before (a retry) returns the same list, so re-adding is idempotent.
   */
  async finishPage(
    id: string,
    url: string,
    record: PageRecord,
    outcome: 'fetched' | 'failed' | 'skipped',
    children: ChildLink[],
    now = Date.now(),
  ): Promise<string[]> {
    const keys = this.keys(id);
    const args: (string | number)[] = [keys.meta, keys.seen, keys.done, keys.pages, keys.expanded, urlHash(url), JSON.stringify(record), outcome, this.ttlSeconds, now];
    for (const child of children) args.push(urlHash(child.url), child.url, child.allowed ? '1' : '0');
    return JSON.parse(await this.redis.cfFinishPage(...args)) as string[];
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

  /** Hashes of every URL the crawl claimed, in batches (for removing its queued jobs). */
  async *claimedHashes(id: string): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, hashes] = await this.redis.sscan(this.keys(id).seen, cursor, 'COUNT', 500);
      cursor = next;
      if (hashes.length) yield hashes;
    } while (cursor !== '0');
  }

  /**
   * Takes the host's next request slot for all workers together.
   * @returns 0 to fetch now, else the ms to wait.
   */
  async reserveHostSlot(host: string, delayMs: number, now = Date.now()): Promise<number> {
    return Number(await this.redis.cfReserveHostSlot(`${this.prefix}:host-slot:${host}`, now, delayMs));
  }
}
