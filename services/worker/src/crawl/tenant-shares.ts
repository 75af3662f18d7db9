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
   * Read again (one ZCARD) every FRESH_MS, and at once for a crawl this process has not paced yet (a tenant
   * starting crawls one after another would otherwise pace them all by its first for FRESH_MS).
   */
  async scale(tenant: string, crawlId?: string, now = Date.now()): Promise<number> {
    const known = this.known.get(tenant);
    const seen = crawlId === undefined || known?.crawls.has(crawlId) === true;
    if (known && now - known.at < FRESH_MS && seen) return known.scale;
    // Fairness is bookkeeping: Redis failing over (the key's master gone) never fails a page over it.
    const running = await this.redis.zcard(tenantKeys(this.config.queuePrefix, tenant).running).catch(() => null);
    if (running === null) return known?.scale ?? 1 / tenantWeight(this.config, tenant);
    const scale = Math.max(1, running) / tenantWeight(this.config, tenant);
    if (this.known.size > 10_000) this.known.clear();
    // The crawls this process has paced for the tenant (kept across reads, at most 1,000).
    const crawls = known && known.crawls.size < 1000 ? known.crawls : new Set<string>();
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
