import { PAGE_JOB, pageJobId, type Config, type CrawlPageData } from '@crawlfleet/core/runtime';
import type { JobsOptions, Queue } from 'bullmq';

export { PAGE_JOB };

/** Options of a page job: its id comes from the URL, so adding it twice adds it once. */
export function pageJobOptions(config: Config, crawlId: string, url: string): JobsOptions {
  const keep = { age: config.resultTtlSeconds };
  return {
    jobId: pageJobId(crawlId, url),
    attempts: config.jobAttempts,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: keep,
    removeOnFail: keep,
  };
}

/** Queues pages of a crawl in one round trip. */
export async function addPageJobs(queue: Queue, config: Config, crawlId: string, urls: string[], depth: number): Promise<void> {
  if (urls.length === 0) return;
  await queue.addBulk(
    urls.map((url) => ({
      name: PAGE_JOB,
      data: { crawlId, url, depth } satisfies CrawlPageData,
      opts: pageJobOptions(config, crawlId, url),
    })),
  );
}
