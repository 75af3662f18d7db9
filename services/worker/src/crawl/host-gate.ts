import { randomUUID } from 'node:crypto';
import { fleetKeys, frontierBase, luaScript, politeKey, shardOfHost, type Config } from '@crawlfleet/core/runtime';
import type { RedisClient } from '@crawlfleet/core/runtime';
import type { LeaseRef } from './hops.js';

/** How long a circuit stays open before requests may try the host again. */
export const CIRCUIT_OPEN_MS = 60_000;

/** Retry-After (seconds, or an HTTP date) in ms from `now`, or -1 when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number {
  if (value === null) return -1;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // An HTTP date ends in GMT (RFC 9110); Date.parse alone takes "-5" for a year.
  const at = /^[A-Za-z]{3}.* GMT$/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? -1 : Math.max(0, at - now);
}

export type Outcome = 'ok' | 'failure' | 'busy' | 'busy-failure' | 'other';

/** A lease on a host: give it back with {@link HostGate.release}. */
export interface Lease {
  id: string;
  /** The host (hostname:port) it is a lease of. */
  host: string;
  keys: {
    hostLeases: string;
    crawlLeases: string;
    busy: string;
    pause: string;
    circuit: string;
    hold: string;
    line: string;
    /** The frontier lanes' due sets of the host's shard. */
    due: [string, string];
  };
}

/**
 * Politeness's one answer to a request: a lease; or wait until this time
 * (the host paused, or no lease free); or fail (the crawl's circuit on the
 * host is open until this time: CRAWL_HOST_FAILURE_LIMIT failures in a row).
 */
export type Admission = { lease: Lease } | { waitUntil: number } | { failUntil: number };

/** How a fetch under a lease ended: its value, or its error with the host's books updated. */
export type Held<T> = { value: T } | { err: unknown; outcome: Outcome; pauseMs: number };

type Scripted = RedisClient & {
  cfHostAcquire(...args: (string | number)[]): Promise<[number, number, number?]>;
  cfHostRelease(...args: (string | number)[]): Promise<[number, number, number?]>;
};

/**
 * Politeness of the whole fleet toward one host, in Redis: at most
 * CRAWL_HOST_CONCURRENCY requests in flight (fewer for a crawl with
 * maxConcurrencyPerHost) held as leases that expire with the fetch deadline,
 * so a killed worker's lease frees itself; a pause after 429/503 that every
 * worker and crawl obeys; a circuit per crawl and host after
 * CRAWL_HOST_FAILURE_LIMIT failures in a row.
 */
export class HostGate {
  private readonly redis: Scripted;
  /** When this process last listed each host in the fleet's host set. */
  private readonly listed = new Map<string, number>();

  constructor(
    redis: RedisClient,
    private readonly config: Config,
  ) {
    this.redis = redis as Scripted;
    if (typeof this.redis.cfHostAcquire !== 'function') {
      redis.defineCommand('cfHostAcquire', { numberOfKeys: 6, lua: luaScript('host-acquire') });
      redis.defineCommand('cfHostRelease', { numberOfKeys: 8, lua: luaScript('host-release') });
    }
  }

  /** The lease a frontier dispatch took on `host` for a crawl's page (its id is the lease id). */
  leaseOf(host: string, crawlId: string, id: string): Lease {
    return { id, host, keys: this.keys(host, crawlId) };
  }

  private keys(host: string, crawlId: string | null): Lease['keys'] {
    const prefix = this.config.queuePrefix;
    const shards = this.config.crawlQueueShards;
    const of = (part: string) => politeKey(prefix, host, part, shards);
    const lanes = frontierBase(prefix, shardOfHost(host, shards));
    const crawl = crawlId === null ? null : `crawl:${crawlId}`;
    return {
      hostLeases: of('leases'),
      crawlLeases: of(crawl ? `${crawl}:leases` : 'leases'),
      busy: of('busy'),
      pause: of('pause'),
      circuit: of(crawl ? `${crawl}:circuit` : 'no-circuit'),
      hold: of('hold-ms'),
      line: of('line'),
      due: [`${lanes}:p:due`, `${lanes}:r:due`],
    };
  }

  /**
   * Admits a request to `url`'s host, for crawl `crawlId` (null: a
   * single-page job), asked by `asker` (its job id: its place in line is kept
   * while it waits): a lease, a time to wait until, or fail. A crawl's own
   * pages are admitted by the frontier's dispatch (same rules, in its Lua);
   * this is for what comes outside it: single-page jobs and redirect hops.
   */
  async admit(
    url: string,
    crawlId: string | null,
    crawlCap: number | null,
    asker: string,
    now = Date.now(),
  ): Promise<Admission> {
    const keys = this.keys(new URL(url).host, crawlId);
    const id = randomUUID();
    const hostCap = this.config.crawlHostConcurrency;
    const cap = Math.min(hostCap, crawlCap ?? hostCap);
    const [code, ms, place = 0] = await this.redis.cfHostAcquire(
      keys.hostLeases,
      keys.crawlLeases,
      keys.pause,
      keys.circuit,
      keys.hold,
      keys.line,
      now,
      id,
      this.config.crawlTimeoutMs + 5000,
      hostCap,
      cap,
      asker,
    );
    if (code === 0) {
      await this.noteLease(new URL(url).host, now);
      return { lease: { id, host: new URL(url).host, keys } };
    }
    if (code === 1) return { waitUntil: now + ms };
    if (code === 2) return { failUntil: now + ms };
    // Come back about when the requests ahead in line have had their leases (cap at a time).
    const due = (ms * (place + 1)) / cap;
    return { waitUntil: now + Math.min(60_000, Math.max(10, due * (0.9 + Math.random() * 0.2))) };
  }

  /** Books a lease outside the host's slot: the host is listed in the fleet's hosts (every 10 s a process). */
  private async noteLease(host: string, now: number) {
    if (now - (this.listed.get(host) ?? 0) < 10_000) return;
    if (this.listed.size > 10_000) this.listed.clear();
    this.listed.set(host, now);
    await this.redis.zadd(fleetKeys(this.config.queuePrefix).hosts, now, host);
  }

  /**
   * Runs `fetch` holding `lease`. The lease goes back (ok) once `fetch` calls
   * `fetched` (the response is in: parsing is not a request to the host), or
   * with how the fetch failed, which may pause the host (`pauseMs`).
   * `after.pass` may pass the lease on instead (to a page claimed ahead);
   * `after.released` hears of a lease given back after a response, called
   * as the release is sent (its host may take its next page now).
   */
  async hold<T>(
    held: Lease | LeaseRef,
    fetch: (fetched: () => void) => Promise<T>,
    after: {
      /** Passes the lease on in-process (a page claimed ahead takes it); true when taken: not given back here. */
      pass?: (lease: Lease) => Promise<boolean>;
      released?: (lease: Lease) => void;
    } = {},
  ): Promise<Held<T>> {
    // A redirect may swap the lease in hand for its next hop's (hops.ts): the one held last goes back.
    const ref: LeaseRef = 'lease' in held ? held : { lease: held };
    // Set in a callback: an object, so that the compiler does not take it for null below.
    const given: { back: Promise<unknown> | null } = { back: null };
    try {
      const value = await fetch(() => {
        const lease = ref.lease;
        const { pass, released } = after;
        given.back = (async () => {
          if (pass && (await pass(lease))) return 0;
          // `released` asks for the host's next page on the same connection, so Redis runs it after the
          // release (one round trip for both); it wakes the dispatcher itself when it hands nothing on.
          const back = this.release(lease, 'ok', null, Date.now(), released !== undefined);
          released?.(lease);
          return back;
        })();
      });
      await given.back;
      return { value };
    } catch (err) {
      if (given.back) {
        await given.back;
        return { err, outcome: 'other', pauseMs: 0 };
      }
      const outcome = outcomeOf(err);
      const retryAfter = (err as { retryAfter?: string | null }).retryAfter ?? null;
      return { err, outcome, pauseMs: await this.release(ref.lease, outcome, retryAfter) };
    }
  }

  /**
   * Writes the books of a request that went well whose lease passes on to
   * the host's next page in this process, and holds the lease another ttl.
   * @returns ms the host is paused for (0: none), -1 when the lease had lapsed.
   */
  async keep(lease: Lease, now = Date.now()): Promise<number> {
    const [, , paused] = await this.books(lease, 'ok', -1, now, 'keep');
    return paused ?? 0;
  }

  /** The release script: a lease's books, and the lease given back (or kept, passed on: `keep`). */
  private books(lease: Lease, outcome: Outcome, retryAfter: number, now: number, mode: '' | 'keep' = '') {
    const { keys } = lease;
    return this.redis.cfHostRelease(
      keys.hostLeases,
      keys.crawlLeases,
      keys.busy,
      keys.pause,
      keys.circuit,
      keys.hold,
      keys.due[0],
      keys.due[1],
      lease.id,
      outcome,
      now,
      this.config.crawlHostFailureLimit,
      CIRCUIT_OPEN_MS,
      retryAfter,
      this.config.crawlMaxRetryAfterMs,
      this.config.crawlTimeoutMs + 5000,
      lease.host,
      mode,
    );
  }

  /** Called after every lease given back (the frontier's dispatcher: the host may be served again now). */
  onRelease: (() => void) | null = null;

  /** Gives `lease` back (`quiet`: without waking the dispatcher); @returns the host's pause in ms for a busy outcome, else 0. */
  async release(lease: Lease, outcome: Outcome, retryAfter: string | null = null, now = Date.now(), quiet = false) {
    const { keys } = lease;
    const [pause, failures] = await this.books(lease, outcome, retryAfterMs(retryAfter, now), now);
    if (!quiet) this.onRelease?.();
    if (failures >= this.config.crawlHostFailureLimit) {
      // The circuit (re)opened: listed in the fleet's set until it closes (for /metrics).
      const circuits = fleetKeys(this.config.queuePrefix).circuits;
      await this.redis.zremrangebyscore(circuits, '-inf', now);
      await this.redis.zadd(circuits, now + CIRCUIT_OPEN_MS, keys.circuit);
    }
    return pause;
  }
}

/** How a fetch went, for the host's books: failures are connect errors, timeouts and 5xx. */
export function outcomeOf(err: unknown): Outcome {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  if (code === 'CF_ERR_HOST_BUSY') return message?.includes('HTTP 503') ? 'busy-failure' : 'busy';
  if (code === 'CF_ERR_FETCH_FAILED' || code === 'CF_ERR_FETCH_TIMEOUT' || code === 'CF_ERR_UPSTREAM_STATUS')
    return 'failure';
  return 'other';
}
