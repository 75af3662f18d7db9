import { crawlPage, sqrt, type SafeFetcher } from '@crawlfleet/tasks';
import type { Job } from 'bullmq';
import { PAGE_JOB } from '../crawl/page-jobs.js';
import type { PageProcessor } from '../crawl/page-processor.js';
import { toBullmqError } from '../to-bullmq-error.js';

/** A processor that runs in the worker's own event loop. */
export type InlineProcessor = (job: Job, token?: string, signal?: AbortSignal) => Promise<unknown>;

/** sqrt: pure and instant. */
export function sqrtProcessor(): InlineProcessor {
  return async (job) => {
    try {
      return sqrt(job.data);
    } catch (err) {
      throw toBullmqError(err);
    }
  };
}

/**
 * crawl: a single-page job through the shared safe fetcher (aborted by DELETE
 * through `signal`), or one page of a recursive crawl.
 */
export function crawlProcessor(fetcher: SafeFetcher, pages: PageProcessor): InlineProcessor {
  return async (job, token, signal) => {
    if (job.name === PAGE_JOB) return pages.process(job, token, signal);
    try {
      return await crawlPage(fetcher, job.data, signal);
    } catch (err) {
      throw toBullmqError(err);
    }
  };
}
