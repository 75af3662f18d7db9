import { JOB_TYPES, type JobType } from '@crawlfleet/tasks/kinds';
import { DEFAULT_TENANT, QuotaExceededError, tenantLimits, type Scope, withRedis } from '@crawlfleet/core';
import { CRAWL_SCHEDULE_JOB, splitScheduleId, type CrawlScheduleData } from '@crawlfleet/crawl';
import type { JobQueues } from '../plugins/job-queues.js';

/** The tenant a job scheduler belongs to: a crawl schedule's says so in its data, a job schedule's in its id. */
export function schedulerTenant(scheduler: {
  key: string;
  id?: string | null;
  name: string;
  template?: { data?: unknown };
}) {
  if (scheduler.name === CRAWL_SCHEDULE_JOB)
    return (scheduler.template?.data as CrawlScheduleData | undefined)?.tenant ?? DEFAULT_TENANT;
  return splitScheduleId(scheduler.id ?? scheduler.key).tenant;
}

/** How many schedules (job and crawl schedules of every type) `tenant` has. */
export async function countSchedules(queues: JobQueues, tenant: string): Promise<number> {
  const all = await withRedis(() =>
    Promise.all(JOB_TYPES.map((type) => queues.queue(type).getJobSchedulers(0, -1, true))),
  );
  return all.flat().filter((scheduler) => schedulerTenant(scheduler) === tenant).length;
}

/**
 * Refuses a new schedule past the tenant's TENANT_MAX_SCHEDULES (when keys
 * are configured); replacing one of its schedules is always allowed.
 * @throws QuotaExceededError naming the quota
 */
export async function checkScheduleQuota(
  queues: JobQueues,
  tenanted: boolean,
  scope: Scope,
  type: JobType,
  schedulerId: string,
): Promise<void> {
  const limit = tenantLimits(queues.config, scope.tenant).maxSchedules;
  if (!tenanted || limit === 0) return;
  if (await withRedis(() => queues.queue(type).getJobScheduler(schedulerId))) return;
  const used = await countSchedules(queues, scope.tenant);
  if (used >= limit) throw new QuotaExceededError('TENANT_MAX_SCHEDULES', scope.tenant, limit, used);
}
