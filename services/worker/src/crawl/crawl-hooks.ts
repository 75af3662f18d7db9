import {
  crawlDeliveriesKey,
  queueDelivery,
  urlHash,
  type CrawlStore,
  type PageRecord,
  type WebhookSpec,
  type WebhookBudget,
} from '@crawlfleet/core/runtime';
import type { Queue } from 'bullmq';
import type { RedisClient } from '@crawlfleet/core/runtime';

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

  /** After a page's record is stored (null: the page was dropped, past a budget). */
  async pageFinished(crawlId: string, record: PageRecord | null): Promise<void> {
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
