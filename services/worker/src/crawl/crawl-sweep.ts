import { PageLostError, unfetchedPageRecord } from '@crawlfleet/core/runtime';
import type { CrawlStore, InflightPage, PageQueues } from '@crawlfleet/core/runtime';
import { describeFailure } from '../task-failure.js';
import type { RedisClient } from '@crawlfleet/core/runtime';
import type { Logger } from 'pino';
import type { CrawlHooks } from './crawl-hooks.js';

/** Page jobs checked per crawl per sweep; the rest wait for the next sweep. */
const MAX_CHECKS_PER_CRAWL = 5000;
/** A job missing at the first look may be in the moment between its claim and its add: look again after this. */
const RECHECK_MS = 1500;

/**
 * Makes every crawl end. A page claimed by a crawl is in its inflight list
 * until its record is written; a page job can end without writing it (failed
 * outside the processor's own failure path, stalled too often, removed by
 * hand, or the worker died between the claim and the add). Every
 * CRAWL_SWEEP_INTERVAL_MS one crawl worker (a lock in RedisClient) looks at the
 * crawls that finished no page for that long, checks their inflight pages'
 * jobs, and records each lost one as failed, which decrements pending.
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
    if (!(await redis.set(`${prefix}:{crawl-sweep}:lock`, '1', 'PX', Math.max(100, intervalMs - 100), 'NX'))) return;
    for await (const crawls of store.running()) {
      for (const crawl of crawls) if (now - crawl.lastAt >= intervalMs) await this.sweepCrawl(crawl.id);
    }
  }

  private async sweepCrawl(crawlId: string): Promise<void> {
    // A rendered crawl's pages are on the render queue.
    const render = (await this.deps.store.get(crawlId))?.options.render ?? false;
    let checked = 0;
    const missing: InflightPage[] = [];
    for await (const batch of this.deps.store.inflight(crawlId)) {
      const states = await Promise.all(batch.map((page) => this.deps.pages.state(crawlId, page.url, render)));
      for (const [index, state] of states.entries()) {
        const page = batch[index];
        if (state === 'unknown') missing.push(page);
        else if (state === 'failed' || state === 'completed') await this.lost(crawlId, page, state, render);
      }
      checked += batch.length;
      if (checked >= MAX_CHECKS_PER_CRAWL) break;
    }
    if (missing.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
    for (const page of missing) {
      if ((await this.deps.pages.state(crawlId, page.url, render)) === 'unknown')
        await this.lost(crawlId, page, 'unknown', render);
    }
  }

  /** Records a page whose job ended without its record. */
  private async lost(
    crawlId: string,
    page: InflightPage,
    state: 'failed' | 'completed' | 'unknown',
    render: boolean,
  ): Promise<void> {
    let why = 'was removed';
    if (state !== 'unknown') {
      const job = await this.deps.pages.job(crawlId, page.url, render);
      why = state === 'failed' ? `failed: ${job?.failedReason || 'no reason given'}` : 'ended without a record';
    }
    const error = describeFailure(new PageLostError(why)).message;
    this.deps.logger.warn({ crawlId, url: page.url, error }, 'crawl page lost; recorded as failed');
    const record = unfetchedPageRecord(page.url, page.depth, error);
    const { ended } = await this.deps.store.finish(crawlId, page.url, record, 'failed', []);
    await this.deps.hooks.pageFinished(crawlId, record, ended);
  }
}
