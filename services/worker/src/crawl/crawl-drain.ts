import { SITEMAP_FILE } from '@crawlfleet/core/runtime';
import type { CrawlHooks } from './crawl-hooks.js';
import type { CrawlContext } from './page-processor.js';
import type { TenantShares } from './tenant-shares.js';
import { laneOf, unfetchedPageRecord, type CrawlStore, type PageQueues } from '@crawlfleet/crawl';

/** A stopped crawl's pages still queued in the frontier, dropped at once (page-processor.ts calls it past a budget). */
export class CrawlDrains {
  /** Crawls whose queued pages this process is dropping now. */
  private readonly draining = new Set<string>();

  constructor(
    private readonly deps: { pages: PageQueues; store: CrawlStore; shares: TenantShares; hooks: CrawlHooks },
  ) {}

  /**
   * Drops a stopped crawl's pages still queued in the frontier, a batch at
   * a time, without waiting for their hosts' turns (a crawl past maxDurationMs
   * with a long delayMs would otherwise take its queue's length × delayMs to end).
   */
  async drain(crawlId: string, context: CrawlContext): Promise<void> {
    if (this.draining.has(crawlId)) return;
    this.draining.add(crawlId);
    try {
      const lane = laneOf(context.options.render);
      for (;;) {
        const entries = await this.deps.pages.frontier.take(crawlId, lane, 500);
        if (entries.length === 0) return;
        for (const entry of entries) {
          const outcome = entry.url.startsWith(SITEMAP_FILE) ? 'sitemap' : 'dropped';
          const record = unfetchedPageRecord(entry.url, entry.depth, 'dropped');
          const { ended } = await this.deps.store.finish(crawlId, entry.url, record, outcome, []);
          if (!ended) continue;
          await this.deps.shares.ended(context.tenant, crawlId);
          await this.deps.hooks.pageFinished(crawlId, null, ended);
        }
      }
    } finally {
      this.draining.delete(crawlId);
    }
  }
}
