import type { Config } from './config.js';
import { crawlKeys } from './crawl-record.js';
import type { PageRecord } from './crawl-schemas.js';
import type { RedisClient } from './redis.js';
import { tenantKeys, utcDay } from './tenants.js';

/** A page record's fields that are its content (page-record.ts stores them apart, under the crawl's cap). */
const CONTENT_FIELDS = ['markdown', 'text', 'html', 'truncated', 'warning'] as const;
/** What a delivery adds around its data: event, ids, type, timestamp. */
const ENVELOPE_BYTES = 256;
/** How long a day's webhook bytes are kept: the day, and a day to read it back. */
const DAY_SECONDS = 2 * 86_400;

/** A page record without its content: what a `page` event carries past a bound, with where to read the rest. */
export function thinPage(crawlId: string, record: PageRecord): Record<string, unknown> {
  const thin: Record<string, unknown> = { ...record };
  for (const field of CONTENT_FIELDS) delete thin[field];
  if (Array.isArray(record.links)) thin.links = record.links.length;
  thin.contentOmitted = true;
  thin.contentPath = `/v1/crawls/${encodeURIComponent(crawlId)}/pages`;
  return thin;
}

/**
 * What `page` events may send: each at most WEBHOOK_MAX_BYTES, and all of a
 * crawl's within its CRAWL_MAX_STORED_BYTES_PER_CRAWL (counted with its
 * stored content, in `storedBytes`) and all of a tenant's in a day within
 * TENANT_MAX_WEBHOOK_BYTES_PER_DAY; past any of them a page is sent thin
 * (no content, `contentOmitted`).
 */
export class WebhookBudget {
  constructor(
    private readonly redis: RedisClient,
    private readonly config: Pick<
      Config,
      'queuePrefix' | 'webhookMaxBytes' | 'crawlMaxStoredBytesPerCrawl' | 'tenantMaxWebhookBytesPerDay'
    >,
  ) {}

  /** The data of a `page` event for `record`: whole, or thin past a bound; its bytes are counted. */
  async pageData(crawlId: string, tenant: string, record: PageRecord, now = Date.now()): Promise<unknown> {
    const whole = Buffer.byteLength(JSON.stringify(record)) + ENVELOPE_BYTES;
    const fits = whole <= this.config.webhookMaxBytes && (await this.room(crawlId, tenant, whole, now));
    if (fits) {
      await this.count(crawlId, tenant, whole, now);
      return record;
    }
    // A thin page is what the crawl's record is without its content: it counts for the tenant's day only.
    const thin = thinPage(crawlId, record);
    await this.count(null, tenant, Buffer.byteLength(JSON.stringify(thin)) + ENVELOPE_BYTES, now);
    return thin;
  }

  private async room(crawlId: string, tenant: string, bytes: number, now: number): Promise<boolean> {
    const { crawlMaxStoredBytesPerCrawl: crawlCap, tenantMaxWebhookBytesPerDay: dayCap } = this.config;
    const [stored, day] = await Promise.all([
      this.redis.hget(crawlKeys(this.config.queuePrefix, crawlId).meta, 'storedBytes'),
      this.redis.get(tenantKeys(this.config.queuePrefix, tenant).webhookBytesOn(utcDay(now))),
    ]);
    const crawlOk = crawlCap === 0 || Number(stored ?? 0) + bytes <= crawlCap;
    const dayOk = dayCap === 0 || Number(day ?? 0) + bytes <= dayCap;
    return crawlOk && dayOk;
  }

  private async count(crawlId: string | null, tenant: string, bytes: number, now: number): Promise<void> {
    const day = tenantKeys(this.config.queuePrefix, tenant).webhookBytesOn(utcDay(now));
    await Promise.all([
      crawlId && this.redis.hincrby(crawlKeys(this.config.queuePrefix, crawlId).meta, 'storedBytes', bytes),
      this.redis.multi().incrby(day, bytes).expire(day, DAY_SECONDS).exec(),
    ]);
  }
}
