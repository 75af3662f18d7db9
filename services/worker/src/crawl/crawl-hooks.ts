import {
  crawlDeliveriesKey,
  crawlEndChannel,
  queueDelivery,
  urlHash,
  type PageRecord,
  type WebhookSpec,
  type WebhookBudget,
} from '@crawlfleet/core/runtime';
import type { Queue } from '../bullmq.js';
import type { Logger } from 'pino';
import type { RedisClient } from '@crawlfleet/core/runtime';
import { type CrawlStore } from '@crawlfleet/crawl';

/**
 * A crawl's webhook events, queued by the worker that finished a page: `page`
 * for each record, then `completed` (or `failed`, when no page answered
 * 2xx/304) once the crawl has ended, sent after every page delivery.
 */
export class CrawlHooks {
  private readonly specs = new Map<string, Promise<{ spec: WebhookSpec; tenant: string } | null>>();

  constructor(
    private readonly deps: {
      store: CrawlStore;
      webhooks: Queue;
      redis: RedisClient;
      prefix: string;
      ttlSeconds: number;
      budget: WebhookBudget;
      logger?: Logger;
    },
  ) {}

  private spec(crawlId: string): Promise<{ spec: WebhookSpec; tenant: string } | null> {
    let spec = this.specs.get(crawlId);
    if (!spec) {
      spec = this.deps.store.webhook(crawlId);
      spec.catch(() => this.specs.delete(crawlId));
      this.specs.set(crawlId, spec);
      if (this.specs.size > 1000) this.specs.delete(this.specs.keys().next().value!);
    }
    return spec;
  }

  /**
   * One `info` line when a crawl ends (logged by the worker that finished its
   * last page), with Scrapy-style totals: pages, failures by why, bytes, pages/s, stopReason.
   */
  private async logEnd(crawlId: string): Promise<void> {
    const { logger, store } = this.deps;
    if (!logger) return;
    const totals = await store.totals(crawlId).catch(() => null);
    if (!totals) return;
    const { crawl, bytes, failedBy } = totals;
    const ms = Math.max(1, Date.parse(crawl.finishedAt ?? new Date().toISOString()) - Date.parse(crawl.createdAt));
    const pagesPerSecond = Math.round((crawl.stats.fetched / (ms / 1000)) * 10) / 10;
    const why = Object.entries(failedBy)
      .sort((a, b) => b[1] - a[1])
      .map(([label, count]) => `${label} x${count}`)
      .join(', ');
    const { fetched, failed, skipped } = crawl.stats;
    const line =
      `crawl ${crawl.state}: ${fetched} pages fetched, ${failed} failed${why ? ` (${why})` : ''}, ${skipped} skipped, ` +
      `${formatBytes(bytes)} in ${(ms / 1000).toFixed(1)} s (${pagesPerSecond} pages/s)` +
      (crawl.stopReason ? `, stopped by ${crawl.stopReason}` : '');
    logger.info(
      {
        crawlId,
        state: crawl.state,
        fetched,
        failed,
        failedBy,
        skipped,
        bytes,
        durationMs: ms,
        pagesPerSecond,
        stopReason: crawl.stopReason,
      },
      line,
    );
  }

  /** After a page's record is stored (null: the page was dropped, past a budget). */
  async pageFinished(crawlId: string, record: PageRecord | null, ended = false): Promise<void> {
    if (ended) {
      // Pushed to whoever waits for it (the API's ?wait and event streams), then logged.
      // Waiters read the crawl again each second anyway: a publish lost to a failover costs them a second.
      await this.deps.redis.publish(crawlEndChannel(this.deps.prefix), crawlId).catch(() => 0);
      await this.logEnd(crawlId);
    }
    const hook = await this.spec(crawlId);
    if (!hook) return;
    const { spec, tenant } = hook;
    const { store, webhooks, redis, prefix, ttlSeconds } = this.deps;
    const target = { queue: webhooks, redis };
    const pending = crawlDeliveriesKey(prefix, crawlId);
    const specAt = store.webhookAt(crawlId);
    if (record && spec.events.includes('page')) {
      // Bounded and counted: past WEBHOOK_MAX_BYTES or the crawl's or tenant's bytes, the page goes thin.
      const data = await this.deps.budget.pageData(crawlId, tenant, record);
      const subject = { id: crawlId, type: 'crawl', data };
      await queueDelivery(target, spec, `${crawlId}-page-${urlHash(record.url)}`, 'page', subject, {
        ttlSeconds,
        pending,
        specAt,
        tenant,
      });
    }
    if (!spec.events.includes('completed') && !spec.events.includes('failed')) return;
    // The state alone first: the whole crawl is read only once it has ended.
    if ((await store.state(crawlId)) !== 'completed') return;
    const crawl = await store.get(crawlId);
    if (!crawl) return;
    // The state says failed when no page answered 2xx/304 and one failed or answered 4xx/5xx (CrawlStore.get).
    const event = crawl.state === 'failed' ? 'failed' : 'completed';
    // One id per crawl: two workers that both see the end queue it once.
    await queueDelivery(
      target,
      spec,
      `${crawlId}-end`,
      event,
      { id: crawlId, type: 'crawl', data: crawl },
      {
        ttlSeconds,
        after: pending,
        specAt,
        tenant,
      },
    );
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
