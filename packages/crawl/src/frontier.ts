import {
  fetchUrlOf,
  frontierKeys,
  politeKey,
  shardOfHost,
  luaScript,
  type Config,
  type RedisClient,
} from '@crawlfleet/core/runtime';

/*
 * The crawl frontier: where a crawl's discovered pages wait until their host
 * may be fetched. Compact per-(crawl, host) lists in Redis, a set of hosts
 * ordered by when each may next be served, and one atomic dispatch step that
 * takes a host lease and hands the page out (the dispatcher then adds it to
 * BullMQ as a job that can run at once). Nothing waits for politeness in
 * BullMQ's delayed set.
 *
 * Keys are hash-tagged by the host's shard (`{frontier-<n>}`), so every
 * script touches one cluster slot; the host politeness keys of HostGate live
 * in the same slot. Two lanes share a shard's hosts: `p` (plain pages, for
 * the crawl workers) and `r` (rendered crawls, for the render workers).
 */

export type Lane = 'p' | 'r';

/** A page handed out by the dispatch step, with its lease id. */
export interface Dispatched {
  lease: string;
  crawlId: string;
  host: string;
  entry: FrontierEntry;
  shard: number;
  lane: Lane;
}

/** A page waiting in the frontier. */
export interface FrontierEntry {
  depth: number;
  /** Times its claim lapsed or a retryable failure sent it back. */
  tries: number;
  /** Pauses (429/503) of its host it has waited out. */
  waits: number;
  url: string;
  /** A redirect hop it waits to fetch (the fetch resumes there). */
  resume?: string;
  /** Not handed out before this time (ms): a retry's backoff. */
  after?: number;
}

/** The host an entry waits for: its resume hop's, else its own (a sitemap file's: `sitemap:<url>`). */
function hostOfEntry(entry: FrontierEntry): string {
  return new URL(entry.resume ?? fetchUrlOf(entry.url)).host;
}

export function encodeEntry(entry: FrontierEntry): string {
  const head = `${entry.after ? `@${Math.round(entry.after)} ` : ''}${entry.depth} ${entry.tries} ${entry.waits} ${entry.url}`;
  return entry.resume ? `${head} ${entry.resume}` : head;
}

export function decodeEntry(text: string): FrontierEntry {
  const parts = text.split(' ');
  if (parts[0].startsWith('@')) parts.shift();
  const [depth, tries, waits, url, resume] = parts;
  const entry: FrontierEntry = { depth: Number(depth), tries: Number(tries), waits: Number(waits), url };
  if (resume) entry.resume = resume;
  return entry;
}

type Scripted = RedisClient & {
  cfFrontierPush(...args: (string | number)[]): Promise<number>;
  cfFrontierDispatch(...args: (string | number)[]): Promise<[[string, string, string, string][], string[][], number]>;
  cfFrontierBegin(...args: (string | number)[]): Promise<[number, number?]>;
  cfFrontierSettle(...args: (string | number)[]): Promise<number>;
  cfFrontierDrop(...args: (string | number)[]): Promise<number>;
  cfFrontierReturn(...args: (string | number)[]): Promise<number>;
  cfFrontierTake(...args: (string | number)[]): Promise<string[]>;
};

type FrontierConfig = Pick<
  Config,
  'queuePrefix' | 'crawlQueueShards' | 'crawlHostConcurrency' | 'crawlTimeoutMs' | 'jobAttempts' | 'resultTtlSeconds'
> &
  Partial<Pick<Config, 'workerLockDurationMs'>>;

/** How a crawl's pages are served on their hosts: its share, its delayMs, its own cap per host. */
export interface CrawlPace {
  stride?: number;
  delayMs?: number;
  cap?: number | null;
}

/** What {@link Frontier.begin} says of a page about to run. */
export type Begun = 'go' | 'gone' | 'requeue' | { open: number };

export class Frontier {
  private readonly redis: Scripted;
  readonly shards: number;

  constructor(
    redis: RedisClient,
    private readonly config: FrontierConfig,
  ) {
    this.redis = redis as Scripted;
    this.shards = Math.max(1, config.crawlQueueShards);
    if (typeof this.redis.cfFrontierPush !== 'function') {
      const code = (name: string) => luaScript(`frontier-${name}`);
      redis.defineCommand('cfFrontierPush', { numberOfKeys: 3, lua: code('push') });
      redis.defineCommand('cfFrontierDispatch', { numberOfKeys: 5, lua: code('dispatch') });
      redis.defineCommand('cfFrontierBegin', { numberOfKeys: 5, lua: code('begin') });
      redis.defineCommand('cfFrontierSettle', { numberOfKeys: 6, lua: code('settle') });
      redis.defineCommand('cfFrontierDrop', { numberOfKeys: 2, lua: code('drop') });
      redis.defineCommand('cfFrontierReturn', { numberOfKeys: 6, lua: code('return') });
      redis.defineCommand('cfFrontierTake', { numberOfKeys: 2, lua: code('take') });
    }
  }

  /** How long a lease on a host lasts (a killed worker's frees itself): the fetch deadline and a margin. */
  get leaseTtlMs(): number {
    return this.config.crawlTimeoutMs + 5000;
  }

  /** How long a handed-out page's claim lasts before it goes back (renewed while its job runs). */
  get claimTtlMs(): number {
    return 2 * this.leaseTtlMs;
  }

  /**
   * How long the claim of a page run in-process (a hand-on) lasts: no job's
   * lock stands for it, so its claim is that lock (WORKER_LOCK_DURATION_MS,
   * at least 5 s), renewed as often, and a killed worker's page goes back
   * about when a job's would be found stalled, not after the job claim's
   * two fetch deadlines.
   */
  get inProcessClaimMs(): number {
    return Math.min(this.claimTtlMs, Math.max(5000, this.config.workerLockDurationMs ?? 30_000));
  }

  /** How long claim `lease` lasts between renewals: a page job's, or an in-process page's. */
  claimMsOf(lease: string): number {
    return runInProcess(lease) ? this.inProcessClaimMs : this.claimTtlMs;
  }

  private lane(shard: number, lane: Lane) {
    return frontierKeys(this.config.queuePrefix, shard, lane);
  }

  /** The shard of `host`. */
  shardOf(host: string): number {
    return shardOfHost(host, this.shards);
  }

  /** A politeness key of `host`. */
  hostKey(host: string, part: string): string {
    return politeKey(this.config.queuePrefix, host, part, this.shards);
  }

  private crawlKeys(shard: number, lane: Lane, crawlId: string) {
    const keys = this.lane(shard, lane);
    return { due: keys.due, crawl: keys.crawl(crawlId), hosts: keys.crawlHosts(crawlId), base: keys.base };
  }

  /**
   * Queues `entries` of a crawl (each under the host it waits for: its
   * resume hop's, else its own), one script call a shard; `front` puts
   * them first in their lists (a page going back).
   */
  async push(crawlId: string, lane: Lane, entries: FrontierEntry[], pace: CrawlPace = {}, front = false) {
    const byShard = new Map<number, string[]>();
    for (const entry of entries) {
      const host = hostOfEntry(entry);
      const shard = this.shardOf(host);
      let args = byShard.get(shard);
      if (!args) byShard.set(shard, (args = []));
      args.push(host, encodeEntry(entry));
    }
    const now = Date.now();
    await Promise.all(
      [...byShard].map(([shard, args]) => {
        const keys = this.crawlKeys(shard, lane, crawlId);
        return this.redis.cfFrontierPush(
          keys.due,
          keys.crawl,
          keys.hosts,
          keys.base,
          crawlId,
          now,
          pace.stride ?? 1,
          pace.delayMs ?? 0,
          pace.cap ?? 0,
          this.config.resultTtlSeconds,
          front ? 1 : 0,
          ...args,
        );
      }),
    );
  }

  /**
   * Hands out at most `most` pages of a shard's lane whose host may be
   * fetched now, each holding a lease on it; also returns pages lost after
   * their claim lapsed too often, and the ms until the next host is due.
   * With `onlyHost`, serves that host alone (a lease just given back passes
   * on to the host's next page, by the same turns) and leaves lapsed claims
   * to the dispatchers. With `ahead` too, claims that host's next page
   * without a lease, for the lease of a request in flight to pass to.
   */
  async dispatch(
    shard: number,
    lane: Lane,
    most: number,
    now = Date.now(),
    onlyHost = '',
    ahead = false,
  ): Promise<{ pages: Dispatched[]; lost: { crawlId: string; entry: FrontierEntry }[]; nextDueMs: number }> {
    const keys = this.lane(shard, lane);
    const [handed, lost, nextDue] = await this.redis.cfFrontierDispatch(
      keys.due,
      keys.out,
      keys.outExpiry,
      keys.seq,
      keys.begun,
      keys.base,
      keys.hostPrefix,
      now,
      most,
      this.config.crawlHostConcurrency,
      this.leaseTtlMs,
      onlyHost ? this.inProcessClaimMs : this.claimTtlMs,
      Math.max(1, this.config.jobAttempts),
      // A hand-on's claims are named apart: no BullMQ job stands for them (the sweep leaves them to lapse).
      `${lane}${shard}${onlyHost ? HANDED_ON : ''}`,
      onlyHost,
      ahead ? 'ahead' : '',
    );
    return {
      pages: handed.map(([lease, crawlId, host, entry]) => ({
        lease,
        crawlId,
        host,
        entry: decodeEntry(entry),
        shard,
        lane,
      })),
      lost: lost.map(([crawlId, , entry]) => ({ crawlId, entry: decodeEntry(entry) })),
      nextDueMs: Number(nextDue),
    };
  }

  /** Checks a handed-out page before it runs, and renews its claim. */
  async begin(page: PageClaim, now = Date.now()): Promise<Begun> {
    const keys = this.lane(page.shard, page.lane);
    const [code, ms = 0] = await this.redis.cfFrontierBegin(
      keys.out,
      keys.outExpiry,
      this.hostKey(page.host, 'leases'),
      this.hostKey(page.host, `crawl:${page.crawlId}:circuit`),
      keys.begun,
      page.lease,
      now,
      this.claimMsOf(page.lease),
      // Claimed ahead: no lease yet (the one of a request in flight passes to it).
      page.ahead && !page.hostLease ? '-' : '',
    );
    if (code === 0) return 'gone';
    if (code === 1) return 'requeue';
    if (code === 2) return { open: ms };
    return 'go';
  }

  /** Takes a hand-out back whose job could not be added (even with Redis out of memory): the page is first in its list again. */
  async unhand(page: PageClaim, now = Date.now()): Promise<void> {
    const keys = this.lane(page.shard, page.lane);
    await this.redis.cfFrontierReturn(
      keys.out,
      keys.outExpiry,
      keys.begun,
      keys.due,
      this.hostKey(page.host, 'leases'),
      this.hostKey(page.host, `crawl:${page.crawlId}:leases`),
      page.lease,
      keys.base,
      now,
    );
  }

  /** Renews a running page's claim (a long page: a seed reading sitemaps). */
  async renew(page: PageClaim, now = Date.now()): Promise<void> {
    const keys = this.lane(page.shard, page.lane);
    await this.redis.zadd(keys.outExpiry, 'XX', now + this.claimMsOf(page.lease), page.lease);
  }

  /** Ends a page's claim (finished, or pushed back by the caller): a lease still held goes back. */
  async settle(page: PageClaim, now = Date.now(), keepLease = false): Promise<void> {
    const keys = this.lane(page.shard, page.lane);
    await this.redis.cfFrontierSettle(
      keys.out,
      keys.outExpiry,
      keys.due,
      this.hostKey(page.host, 'leases'),
      this.hostKey(page.host, `crawl:${page.crawlId}:leases`),
      keys.begun,
      page.lease,
      keys.base,
      now,
      page.host,
      keepLease || page.passed ? 1 : 0,
      page.hostLease ?? '',
    );
  }

  /**
   * Sends a handed-out page back to wait in the list of the host it now
   * waits for: first, or last when it waits for a backoff (`entry.after`);
   * `notBefore` holds the crawl's pages on that host until then.
   */
  async putBack(page: PageClaim, entry: FrontierEntry, pace: CrawlPace, notBefore = 0, keepLease = false) {
    await this.push(page.crawlId, page.lane, [entry], pace, !entry.after);
    if (notBefore > Date.now()) {
      const host = hostOfEntry(entry);
      const shard = this.shardOf(host);
      const next = this.lane(shard, page.lane).hostNext(host);
      await this.redis.hset(next, page.crawlId, notBefore);
      await this.redis.pexpire(next, 3_600_000);
    }
    await this.settle(page, Date.now(), keepLease);
  }

  /** A crawl's handed-out pages (their claims), by shard: scans the lane's claims (as many as pages in flight). */
  async claims(crawlId: string, lane: Lane): Promise<{ shard: number; lease: string }[]> {
    const found: { shard: number; lease: string }[] = [];
    for (let shard = 0; shard < this.shards; shard++) {
      const out = this.lane(shard, lane).out;
      let cursor = '0';
      do {
        const [next, flat] = await this.redis.hscan(out, cursor, 'COUNT', 1000);
        cursor = next;
        for (let i = 0; i < flat.length; i += 2)
          if (flat[i + 1].startsWith(`${crawlId} `)) found.push({ shard, lease: flat[i] });
      } while (cursor !== '0');
    }
    return found;
  }

  /** Ends a claim's time now: the next dispatch step sends its page back (or records it lost after JOB_ATTEMPTS). */
  async lapse(shard: number, lane: Lane, lease: string): Promise<void> {
    await this.redis.zadd(this.lane(shard, lane).outExpiry, 'XX', 0, lease);
  }

  /** Takes up to `most` of a crawl's queued pages out of the frontier (a crawl past a budget drops them). */
  async take(crawlId: string, lane: Lane, most: number): Promise<FrontierEntry[]> {
    const taken: FrontierEntry[] = [];
    for (let shard = 0; shard < this.shards && taken.length < most; shard++) {
      const keys = this.crawlKeys(shard, lane, crawlId);
      const entries = await this.redis.cfFrontierTake(keys.crawl, keys.hosts, keys.base, crawlId, most - taken.length);
      taken.push(...entries.map(decodeEntry));
    }
    return taken;
  }

  /** Drops a stopped crawl's queued pages. @returns how many */
  async drop(crawlId: string, lane: Lane): Promise<number> {
    let dropped = 0;
    for (let shard = 0; shard < this.shards; shard++) {
      const keys = this.crawlKeys(shard, lane, crawlId);
      dropped += await this.redis.cfFrontierDrop(keys.crawl, keys.hosts, keys.base, crawlId);
    }
    return dropped;
  }

  /** A crawl's pages in the frontier: queued, or handed out and not finished. */
  async held(crawlId: string, lane: Lane): Promise<number> {
    const counts = await Promise.all(
      Array.from({ length: this.shards }, (_, shard) =>
        this.redis.hget(this.crawlKeys(shard, lane, crawlId).crawl, 'n'),
      ),
    );
    return counts.reduce((sum, count) => sum + Math.max(0, Number(count ?? 0)), 0);
  }

  /** Records a host's robots.txt Crawl-delay, which spaces its every page from then on. */
  async setCrawlDelay(host: string, delayMs: number): Promise<void> {
    if (delayMs > 0) await this.redis.set(this.hostKey(host, 'crawl-delay'), delayMs, 'PX', 3_600_000);
  }

  /** A key of a shard's lane, for REDIS_WAIT_REPLICAS's wait on the shard's master. */
  dueKey(host: string, lane: Lane): string {
    return this.lane(this.shardOf(host), lane).due;
  }
}

/** What a hand-on's claim ids carry after the lane and shard (`p0h-12`): pages run in-process, with no job. */
const HANDED_ON = 'h';

/** Whether a claim is a page run in-process from a hand-on (no BullMQ job stands for it). */
export function runInProcess(lease: string): boolean {
  return /^[pr]\d+h-/.test(lease);
}

/** A handed-out page, as its job carries it. */
export interface PageClaim {
  /** The claim's id: the lease it was handed out with, for a page not claimed ahead. */
  lease: string;
  crawlId: string;
  host: string;
  shard: number;
  lane: Lane;
  /** Claimed ahead, without a lease: a request in flight passes its own on (run in-process only). */
  ahead?: boolean;
  /** The host lease passed to a page claimed ahead. */
  hostLease?: string;
  /** Its lease passed on to the host's next page: the claim's end leaves the lease alone. */
  passed?: boolean;
}
