import { crawlPage, sqrt, type SafeFetcher } from '@crawlfleet/tasks';
import type { Job } from 'bullmq';
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

/** crawl: one page through the shared safe fetcher; aborted by DELETE through `signal`. */
export function crawlProcessor(fetcher: SafeFetcher): InlineProcessor {
  return async (job, _token, signal) => {
    try {
      return await crawlPage(fetcher, job.data, signal);
    } catch (err) {
      throw toBullmqError(err);
    }
  };
}
