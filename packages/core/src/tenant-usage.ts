import type { Config } from './config.js';
import { crawlKeys } from './crawl-record.js';
import { QuotaExceededError } from './errors.js';
import type { RedisClient } from './redis.js';
import { secondsToUtcMidnight, tenantKeys, tenantLimits, utcDay } from './tenants.js';

/** How long a day's page count is kept: the day, and a day to read it back. */
const DAY_SECONDS = 2 * 86_400;

/** A tenant's use and limits, as GET /v1/usage shows them (0 = unlimited). */
export interface TenantUsageView {
  tenant: string;
  quotasApply: boolean;
  runningCrawls: { used: number; limit: number };
  queuedJobs: { used: number; limit: number };
  schedules: { used: number; limit: number };
  pagesToday: { used: number; limit: number };
}

/**
 * What each tenant uses of its quotas, shared by the API (submissions) and
 * the workers (scheduled crawls, pages). Counters are plain Redis keys per
 * tenant (tenants.ts): jobs queued and not finished, crawls started and
 * maybe running, pages fetched today.
 */
export class TenantUsage {
  constructor(
    private readonly redis: RedisClient,
    private readonly config: Config,
  ) {}

  private keys(tenant: string) {
    return tenantKeys(this.config.queuePrefix, tenant);
  }

  /** The tenant's crawls still running; ended and expired ones leave the set on the way. */
  async runningCrawls(tenant: string): Promise<number> {
    const key = this.keys(tenant).running;
    const ids = await this.redis.zrange(key, 0, -1);
    if (ids.length === 0) return 0;
    const states = await Promise.all(
      ids.map((id) => this.redis.hget(crawlKeys(this.config.queuePrefix, id).meta, 'state')),
    );
    const ended = ids.filter((_, index) => states[index] !== 'running');
    if (ended.length) await this.redis.zrem(key, ...ended);
    return ids.length - ended.length;
  }

  /** @throws QuotaExceededError when the tenant runs TENANT_MAX_RUNNING_CRAWLS crawls already */
  async checkRunningCrawls(tenant: string): Promise<void> {
    const limit = tenantLimits(this.config, tenant).maxRunningCrawls;
    if (limit === 0) return;
    const used = await this.runningCrawls(tenant);
    if (used >= limit) throw new QuotaExceededError('TENANT_MAX_RUNNING_CRAWLS', tenant, limit, used);
  }

  /**
   * Takes `count` of the tenant's TENANT_MAX_QUEUED_JOBS, or none.
   * @returns the tenant's queued jobs with these
   * @throws QuotaExceededError when they do not fit
   */
  async reserveJobs(tenant: string, count: number): Promise<number> {
    const limit = tenantLimits(this.config, tenant).maxQueuedJobs;
    const key = this.keys(tenant).queued;
    const after = await this.redis.incrby(key, count);
    if (limit === 0 || after <= limit) return after;
    await this.redis.decrby(key, count);
    throw new QuotaExceededError('TENANT_MAX_QUEUED_JOBS', tenant, limit, after - count);
  }

  /** Counts `count` more queued jobs of the tenant, whatever its quota. @returns the count with these */
  async countJobs(tenant: string, count: number): Promise<number> {
    return this.redis.incrby(this.keys(tenant).queued, count);
  }

  /**
   * Gives back jobs that finished, were removed, or were never added. A
   * release may land before its count (a submission counts beside its add):
   * the counter may dip below 0 for a moment, and is read as at least 0.
   */
  async releaseJobs(tenant: string, count = 1): Promise<void> {
    await this.redis.decrby(this.keys(tenant).queued, count);
  }

  /**
   * Counts a page fetched for the tenant today.
   * @returns false when the page is past TENANT_MAX_PAGES_PER_DAY (it must not be fetched)
   */
  async takePage(tenant: string, now = Date.now()): Promise<boolean> {
    const limit = tenantLimits(this.config, tenant).maxPagesPerDay;
    if (limit === 0) return true;
    const key = this.keys(tenant).pagesOn(utcDay(now));
    const [[, count]] = (await this.redis.multi().incr(key).expire(key, DAY_SECONDS).exec()) as [[null, number]];
    return count <= limit;
  }

  /** The tenant's use of every quota; `schedules` is counted by the caller (it lists them). */
  async view(tenant: string, schedules: number, quotasApply: boolean, now = Date.now()): Promise<TenantUsageView> {
    const limits = tenantLimits(this.config, tenant);
    const keys = this.keys(tenant);
    const [running, queued, pages] = await Promise.all([
      this.runningCrawls(tenant),
      this.redis.get(keys.queued),
      this.redis.get(keys.pagesOn(utcDay(now))),
    ]);
    const none = (limit: number) => (quotasApply ? limit : 0);
    return {
      tenant,
      quotasApply,
      runningCrawls: { used: running, limit: none(limits.maxRunningCrawls) },
      queuedJobs: { used: Math.max(0, Number(queued ?? 0)), limit: none(limits.maxQueuedJobs) },
      schedules: { used: schedules, limit: none(limits.maxSchedules) },
      pagesToday: { used: Number(pages ?? 0), limit: none(limits.maxPagesPerDay) },
    };
  }

  /** Seconds until the pages-per-day quota heals. */
  static untilTomorrow(now = Date.now()): number {
    return secondsToUtcMidnight(now);
  }
}
