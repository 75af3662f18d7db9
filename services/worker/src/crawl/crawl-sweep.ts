import { PageLostError, SITEMAP_FILE } from '@crawlfleet/core/runtime';
import type { InflightPage } from '@crawlfleet/core/runtime';
import { describeFailure } from '../task-failure.js';
import { sweepLockKey, type RedisClient } from '@crawlfleet/core/runtime';
import type { Logger } from 'pino';
import type { CrawlHooks } from './crawl-hooks.js';
import {
  laneOf,
  pageJobId,
  runInProcess,
  unfetchedPageRecord,
  type Lane,
  type CrawlStore,
  type PageQueues,
} from '@crawlfleet/crawl';

/** Page jobs checked per crawl per sweep; the rest wait for the next sweep. */
const MAX_CHECKS_PER_CRAWL = 5000;
/** Job states of a handed-out page that will never settle its claim. */
const DEAD = new Set(['failed', 'completed', 'unknown']);
/** A job missing at the first look may be in the moment between its claim and its add: look again after this. */
const RECHECK_MS = 1500;

/**
 * Makes every crawl end. A page claimed by a crawl is in its inflight list
 * until its record is written. A page whose job ends without writing it
 * (failed outside the processor's own failure path, removed by hand, its
 * worker killed) goes back through the frontier when its claim lapses, and is
 * recorded lost after JOB_ATTEMPTS lapses (dispatcher.ts). What the frontier
 * cannot see is a page claimed whose push never happened. Every
 * CRAWL_SWEEP_INTERVAL_MS one crawl worker (a lock in RedisClient) looks at the
 * crawls that finished no page for that long and hold nothing in the
 * frontier, and records their inflight pages as failed (lost), which
 * decrements pending.
 */
export class CrawlSweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      store: CrawlStore;
      pages: PageQueues;
      redis: RedisClient;
      prefix: string;
      intervalMs: number;
      logger: Logger;
      hooks: CrawlHooks;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((err: Error) => this.deps.logger.warn({ err: err.message }, 'crawl sweep failed'))
        .finally(() => {
          this.running = null;
        });
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One sweep, if no other worker holds this period's lock. */
  async sweep(now = Date.now()): Promise<void> {
    const { redis, prefix, intervalMs, store } = this.deps;
    if (!(await redis.set(sweepLockKey(prefix), '1', 'PX', Math.max(100, intervalMs - 100), 'NX'))) return;
    for await (const crawls of store.running()) {
      for (const crawl of crawls) if (now - crawl.lastAt >= intervalMs) await this.sweepCrawl(crawl.id);
    }
  }

  private async sweepCrawl(crawlId: string): Promise<void> {
    const { store, pages } = this.deps;
    // A rendered crawl's pages are in the frontier's render lane.
    const lane = laneOf((await store.get(crawlId))?.options.render ?? false);
    // Pages in the frontier (queued, or handed out and not finished) end through it; a handed-out page
    // whose job failed or is gone need not wait for its claim to lapse.
    if ((await pages.frontier.held(crawlId, lane)) > 0) {
      await this.lapseDead(crawlId, lane);
      return;
    }
    const first = await this.inflight(crawlId);
    if (first.size === 0) return;
    // A page may be between its claim and its push (its parent is in the frontier until then): look again.
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
    if ((await pages.frontier.held(crawlId, lane)) > 0) return;
    for (const page of (await this.inflight(crawlId)).values())
      if (first.has(page.hash)) await this.lost(crawlId, page);
  }

  /**
   * Ends the claims of the crawl's handed-out pages whose job failed,
   * completed without settling, or is gone (removed by hand): the frontier
   * hands each out again, or records it lost after JOB_ATTEMPTS hand-outs.
   */
  private async lapseDead(crawlId: string, lane: Lane): Promise<void> {
    const { frontier } = this.deps.pages;
    const stateOf = ({ shard, lease }: { shard: number; lease: string }) =>
      this.deps.pages.queueOf(shard, lane === 'r').getJobState(pageJobId(crawlId, lease));
    // A page run in-process from a hand-on has no job: its process renews its claim, which lapses if that dies.
    const claims = (await frontier.claims(crawlId, lane))
      .filter((claim) => !runInProcess(claim.lease))
      .slice(0, MAX_CHECKS_PER_CRAWL);
    const dead = [];
    for (const claim of claims) if (DEAD.has(await stateOf(claim))) dead.push(claim);
    if (dead.length === 0) return;
    // A job is added just after its hand-out: one that is missing may be on its way.
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
    for (const claim of dead) if (DEAD.has(await stateOf(claim))) await frontier.lapse(claim.shard, lane, claim.lease);
  }

  /** Up to MAX_CHECKS_PER_CRAWL of the crawl's claimed, unfinished pages, by hash. */
  private async inflight(crawlId: string): Promise<Map<string, InflightPage>> {
    const pages = new Map<string, InflightPage>();
    for await (const batch of this.deps.store.inflight(crawlId)) {
      for (const page of batch) pages.set(page.hash, page);
      if (pages.size >= MAX_CHECKS_PER_CRAWL) break;
    }
    return pages;
  }

  /** Records a claimed page that is nowhere in the frontier (its push was lost). */
  private async lost(crawlId: string, page: InflightPage): Promise<void> {
    const error = describeFailure(new PageLostError('was lost before it was queued')).message;
    this.deps.logger.warn({ crawlId, url: page.url, error }, 'crawl page lost; recorded as failed');
    const record = unfetchedPageRecord(page.url, page.depth, error);
    // A lost sitemap file is passed over (no record: it is not a page).
    const file = page.url.startsWith(SITEMAP_FILE);
    const { ended } = await this.deps.store.finish(crawlId, page.url, record, file ? 'sitemap' : 'failed', []);
    await this.deps.hooks.pageFinished(crawlId, file ? null : record, ended);
  }
}
