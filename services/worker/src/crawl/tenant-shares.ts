import { tenantKeys, tenantWeight, type Config, type RedisClient } from '@crawlfleet/core/runtime';

/** How long a tenant's share is reused before it is read again. */
const FRESH_MS = 2000;

/**
 * Weighted fair shares between tenants, on top of the fair order between
 * crawls (page-jobs.ts: a page's priority is its place in its crawl): a
 * tenant's pages are spread by its running crawls over its weight
 * (TENANTS_FILE), so a tenant with ten crawls gets a tenth of the pace for
 * each, as much in all as a tenant with one, and weight 2 twice that.
 */
export class TenantShares {
  private readonly known = new Map<string, { scale: number; at: number; crawls: Set<string> }>();

  constructor(
    private readonly redis: RedisClient,
    private readonly config: Pick<Config, 'queuePrefix' | 'tenants'>,
  ) {}

  /**
   * The factor a tenant's page places are multiplied by: running crawls / weight (1 for one crawl, weight 1).
   * Read again every FRESH_MS, and at once for a crawl not seen since the last read (a tenant starting
   * crawls one after another would otherwise pace them all by its first for FRESH_MS).
   */
  async scale(tenant: string, crawlId?: string, now = Date.now()): Promise<number> {
    const known = this.known.get(tenant);
    if (known && now - known.at < FRESH_MS && (crawlId === undefined || known.crawls.has(crawlId))) return known.scale;
    // Fairness is bookkeeping: Redis failing over (the key's master gone) never fails a page over it.
    // The running crawls' ids (a tenant's concurrent crawls are capped, TENANT_MAX_CRAWLS), so a new one is noticed.
    const running = await this.redis
      .zrange(tenantKeys(this.config.queuePrefix, tenant).running, 0, 9_999)
      .catch(() => null);
    if (running === null) return known?.scale ?? 1 / tenantWeight(this.config, tenant);
    const scale = Math.max(1, running.length) / tenantWeight(this.config, tenant);
    if (this.known.size > 10_000) this.known.clear();
    const crawls = new Set(running);
    // A crawl not (or no longer) among the running is not looked for again until the next read.
    if (crawlId !== undefined) crawls.add(crawlId);
    this.known.set(tenant, { scale, at: now, crawls });
    return scale;
  }

  /** A crawl of `tenant` ended: it leaves the tenant's running crawls. */
  async ended(tenant: string, crawlId: string): Promise<void> {
    // Left behind when Redis fails: the API's quota check prunes ended crawls from the set too.
    await this.redis.zrem(tenantKeys(this.config.queuePrefix, tenant).running, crawlId).catch(() => {});
    this.known.delete(tenant);
  }
}
