import {
  DEFAULT_TENANT,
  scheduleKeys,
  webhookSecretsKey,
  type CrawlRequest,
  type RedisClient,
  type WebhookSpec,
} from '@crawlfleet/core/runtime';
import { crawlScheduleKind } from '@crawlfleet/tasks/kinds';
import type { Crawls } from './crawls.js';

/*
 * Recurring crawls: a BullMQ job scheduler on the crawl queue adds one
 * CRAWL_SCHEDULE_JOB a period, and the crawl worker that takes it starts the
 * crawl (one run per period however many API instances or workers run).
 * Schedule ids are per tenant; a webhook's secret and header values never
 * enter the scheduler's template (the dashboard shows it): they wait in the
 * tenant's secrets hash, and the template holds them as "***".
 */

/** The BullMQ job name of a scheduled crawl's run on the crawl queue: its kind's, in the registry. */
export const CRAWL_SCHEDULE_JOB = crawlScheduleKind.name;

/** What a scheduled run carries: the crawl to start (validated when scheduled), already normalized. */
export interface CrawlScheduleData {
  scheduleId: string;
  /** Whose crawls it starts (absent: `default`, a schedule from before tenants). */
  tenant?: string;
  /** Keys were configured when it was made: its runs obey the tenant's quotas. */
  quotas?: boolean;
  seed: string;
  crawl: Omit<CrawlRequest, 'url'>;
  incremental: boolean;
}

/**
 * A schedule's id as stored: the client's id, under its tenant's name for
 * every tenant but `default` (whose ids stay as before tenants). Client ids
 * cannot hold `:`, so two tenants' ids never meet.
 */
export function scopedScheduleId(tenant: string, id: string): string {
  return tenant === DEFAULT_TENANT ? id : `${tenant}:${id}`;
}

/** The tenant and client id of a stored schedule id. */
export function splitScheduleId(stored: string): { tenant: string; id: string } {
  const colon = stored.indexOf(':');
  return colon < 0
    ? { tenant: DEFAULT_TENANT, id: stored }
    : { tenant: stored.slice(0, colon), id: stored.slice(colon + 1) };
}

/** The id of a crawl schedule's job scheduler on the crawl queue (apart from single-page job schedules). */
export function crawlSchedulerId(tenant: string, scheduleId: string): string {
  return `crawl-schedule-${scopedScheduleId(tenant, scheduleId)}`;
}

/** Where a crawl schedule keeps the id of the crawl it started last. */
export function lastCrawlKey(prefix: string, tenant: string, scheduleId: string): string {
  return scheduleKeys(prefix, scopedScheduleId(tenant, scheduleId)).last;
}

/** Where a crawl schedule keeps why its last run did not start (a quota), cleared by the next that does. */
export function lastErrorKey(prefix: string, tenant: string, scheduleId: string): string {
  return scheduleKeys(prefix, scopedScheduleId(tenant, scheduleId)).error;
}

/** A webhook as shown and as kept in a template: secret and header values as "***". */
export function redactedWebhook(spec: WebhookSpec): WebhookSpec {
  return {
    url: spec.url,
    events: spec.events,
    ...(spec.secret ? { secret: '***' } : {}),
    ...(spec.headers ? { headers: Object.fromEntries(Object.keys(spec.headers).map((name) => [name, '***'])) } : {}),
  };
}

/** True when a webhook has something to keep out of sight. */
export function hasSecrets(spec: WebhookSpec | undefined): spec is WebhookSpec {
  return Boolean(spec?.secret || (spec?.headers && Object.keys(spec.headers).length));
}

/** The schedule's webhook with its secrets, read from the tenant's hash where the template hides them. */
async function fullWebhook(redis: RedisClient, prefix: string, data: CrawlScheduleData, tenant: string) {
  const { webhook } = data.crawl;
  if (!hasSecrets(webhook)) return webhook;
  const kept = await redis.hget(webhookSecretsKey(prefix, tenant), data.scheduleId);
  return kept ? (JSON.parse(kept) as WebhookSpec) : { url: webhook.url, events: webhook.events };
}

/**
 * Starts one run of a crawl schedule through the crawls' door: a new crawl
 * of its seed, a recrawl of the last run's (with the schedule's options)
 * when incremental and that crawl still exists. A run over its tenant's
 * running-crawls quota is skipped, and says so in `lastError`.
 * @returns the new crawl's id, or null when the run was skipped
 */
export async function startScheduledCrawl(
  crawls: Crawls,
  deps: { redis: RedisClient; prefix: string; ttlSeconds: number },
  data: CrawlScheduleData,
): Promise<string | null> {
  const { redis, prefix } = deps;
  const tenant = data.tenant ?? DEFAULT_TENANT;
  const last = lastCrawlKey(prefix, tenant, data.scheduleId);
  const error = lastErrorKey(prefix, tenant, data.scheduleId);
  const webhook = await fullWebhook(redis, prefix, data, tenant);
  const previous = data.incremental ? await redis.get(last) : null;
  const recrawlOf = previous && (await crawls.store.state(previous)) ? previous : undefined;
  const scope = { tenant, operator: false };
  let id: string;
  try {
    id = await crawls.start({ ...data.crawl, url: data.seed }, scope, {
      quotas: Boolean(data.quotas),
      recrawlOf,
      webhook,
    });
  } catch (err) {
    if ((err as { code?: string }).code !== 'CF_ERR_QUOTA_EXCEEDED') throw err;
    await redis.set(error, `${(err as Error).message} (run skipped at ${new Date().toISOString()})`);
    return null;
  }
  await redis.multi().set(last, id, 'EX', deps.ttlSeconds).del(error).exec();
  return id;
}
