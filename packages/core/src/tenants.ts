import type { Config } from './config.js';
import { DEFAULT_TENANT, type TenantLimits } from './tenant-config.js';

/*
 * Who owns what. A job records its tenant in its data under TENANT_FIELD (a
 * name no job input can have: inputs are closed schemas), a crawl in its meta
 * hash; what was made before tenants existed belongs to `default`.
 */

export { DEFAULT_TENANT, TENANT_PATTERN, type KeyEntry, type TenantLimits } from './tenant-config.js';

/** The job data field that holds a job's tenant (absent: `default`, or no keys configured). */
export const TENANT_FIELD = '$tenant';

/**
 * Set on a submitted job that took one of its tenant's TENANT_MAX_QUEUED_JOBS:
 * only such a job gives one back when it ends (a schedule's runs never took one).
 */
export const COUNTED_FIELD = '$counted';

/** True when the job took one of its tenant's queued jobs (and gives it back when it ends). */
export function isCounted(data: unknown): boolean {
  return Boolean(data && typeof data === 'object' && COUNTED_FIELD in data);
}

/** Who a request acts as: its tenant, and whether it acts on every tenant's objects (operator rights). */
export interface Scope {
  readonly tenant: string;
  readonly operator: boolean;
}

/** The operator scope of processes that act for the fleet (schedules, sweeps) and of the keyless API. */
export const OPERATOR: Scope = { tenant: DEFAULT_TENANT, operator: true };

/** The tenant recorded in a job's data. */
export function jobTenant(data: unknown): string {
  const tenant = (data as Record<string, unknown> | null)?.[TENANT_FIELD];
  return typeof tenant === 'string' ? tenant : DEFAULT_TENANT;
}

/** A job's input as submitted: its data without the tenant field. */
export function jobInput(data: unknown): unknown {
  if (!data || typeof data !== 'object' || !(TENANT_FIELD in data)) return data;
  const { [TENANT_FIELD]: _tenant, [COUNTED_FIELD]: _counted, ...input } = data as Record<string, unknown>;
  return input;
}

/** True when `scope` may see and act on an object of `tenant`. */
export function mayAct(scope: Scope, tenant: string | null | undefined): boolean {
  return scope.operator || (tenant ?? DEFAULT_TENANT) === scope.tenant;
}

/** The quotas `tenant` is held to: TENANTS_FILE's overrides over the TENANT_MAX_* defaults. */
export function tenantLimits(
  config: Pick<
    Config,
    'tenants' | 'tenantMaxRunningCrawls' | 'tenantMaxQueuedJobs' | 'tenantMaxSchedules' | 'tenantMaxPagesPerDay'
  >,
  tenant: string,
): TenantLimits {
  return {
    maxRunningCrawls: config.tenantMaxRunningCrawls,
    maxQueuedJobs: config.tenantMaxQueuedJobs,
    maxSchedules: config.tenantMaxSchedules,
    maxPagesPerDay: config.tenantMaxPagesPerDay,
    ...config.tenants?.[tenant],
  };
}

/** A tenant's fair-share weight (TENANTS_FILE), 1 by default. */
export function tenantWeight(config: Pick<Config, 'tenants'>, tenant: string): number {
  return config.tenants?.[tenant]?.weight ?? 1;
}

export { allCrawlsKey, tenantKeys } from './keys.js';

/** Today's date in UTC (yyyy-mm-dd), the day of the pages-per-day quota. */
export function utcDay(now = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Seconds until the next UTC midnight: when a daily quota heals. */
export function secondsToUtcMidnight(now = Date.now()): number {
  const next = new Date(now);
  next.setUTCHours(24, 0, 0, 0);
  return Math.max(1, Math.ceil((next.getTime() - now) / 1000));
}
