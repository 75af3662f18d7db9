import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis.js';
import type { Config } from './config.js';
import { crawlOptions } from './crawl-record.js';
import type { CrawlRequest } from './crawl-schemas.js';
import type { CrawlStore } from './crawl-store.js';
import type { PageQueues } from './page-jobs.js';

/*
 * Recurring crawls: a BullMQ job scheduler on the crawl queue adds one
 * CRAWL_SCHEDULE_JOB a period, and the crawl worker that takes it starts the
 * crawl (one run per period however many API instances or workers run).
 */

/** The BullMQ job name of a scheduled crawl's run. */
export const CRAWL_SCHEDULE_JOB = 'crawl-schedule';

/** What a scheduled run carries: the crawl to start (validated when scheduled), already normalized. */
export interface CrawlScheduleData {
  scheduleId: string;
  seed: string;
  crawl: Omit<CrawlRequest, 'url'>;
  incremental: boolean;
}

/** The id of a crawl schedule's job scheduler on the crawl queue (apart from single-page job schedules). */
export function crawlSchedulerId(scheduleId: string): string {
  return `crawl-schedule-${scheduleId}`;
}

/** Where a crawl schedule keeps the id of the crawl it started last. */
export function lastCrawlKey(prefix: string, scheduleId: string): string {
  return `${prefix}:crawl-schedule:{${scheduleId}}:last`;
}

/**
 * Starts one run of a crawl schedule: a new crawl of its seed, a recrawl of
 * the last run's when incremental and that crawl still exists.
 * @returns the new crawl's id
 */
export async function startScheduledCrawl(
  deps: { store: CrawlStore; pages: PageQueues; redis: RedisClient; config: Config },
  data: CrawlScheduleData,
): Promise<string> {
  const { store, pages, redis, config } = deps;
  const last = lastCrawlKey(config.queuePrefix, data.scheduleId);
  const { webhook, ...rest } = data.crawl;
  const options = crawlOptions(rest);
  if (data.incremental) {
    const previous = await redis.get(last);
    if (previous && (await store.state(previous))) options.recrawlOf = previous;
  }
  const id = randomUUID();
  await store.create(id, data.seed, options, webhook);
  await pages.add(id, [data.seed], 0, options.render);
  await redis.set(last, id, 'EX', config.resultTtlSeconds);
  return id;
}
