import type { JobsOptions, Queue } from 'bullmq';
import type { Config } from './config.js';
import { urlHash, type CrawlStore } from './crawl-store.js';
import type { CrawlPageData } from './crawl-schemas.js';

/*
 * A recursive crawl's page jobs, owned here: their name on the `crawl`
 * queue, their ids, their options, adding and removing them. The API (seed,
 * cancel) and the crawl workers (children) call these; nothing else spells a
 * page job.
 */

/** The BullMQ job name of one page of a recursive crawl. */
export const PAGE_JOB = 'crawl-page';

/** The BullMQ job id of a crawl's page: the same URL always gets the same id, so adding it twice adds it once. */
export function pageJobId(crawlId: string, url: string): string {
  return pageJobIdOfHash(crawlId, urlHash(url));
}

function pageJobIdOfHash(crawlId: string, hash: string): string {
  return `page-${crawlId}-${hash}`;
}

type PageJobConfig = Pick<Config, 'resultTtlSeconds' | 'jobAttempts'>;

/** Options of a page job: retried with backoff, kept for the result TTL. */
export function pageJobOptions(config: PageJobConfig, crawlId: string, url: string): JobsOptions {
  const keep = { age: config.resultTtlSeconds };
  return {
    jobId: pageJobId(crawlId, url),
    attempts: config.jobAttempts,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: keep,
    removeOnFail: keep,
  };
}

/** Queues pages of a crawl at `depth` in one round trip. */
export async function addPageJobs(
  queue: Queue,
  config: PageJobConfig,
  crawlId: string,
  urls: string[],
  depth: number,
): Promise<void> {
  if (urls.length === 0) return;
  await queue.addBulk(
    urls.map((url) => ({
      name: PAGE_JOB,
      data: { crawlId, url, depth } satisfies CrawlPageData,
      opts: pageJobOptions(config, crawlId, url),
    })),
  );
}

/**
 * Removes the queued page jobs of a crawl: those it claimed and has not
 * finished (a running one is locked and stays; the crawl's state stops it).
 * @returns how many were removed
 */
export async function removePageJobs(queue: Queue, store: CrawlStore, crawlId: string): Promise<number> {
  let removed = 0;
  for await (const pages of store.inflight(crawlId)) {
    const results = await Promise.all(pages.map((page) => queue.remove(pageJobIdOfHash(crawlId, page.hash))));
    removed += results.filter((result) => result === 1).length;
  }
  return removed;
}
