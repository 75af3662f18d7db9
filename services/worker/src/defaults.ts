import { availableParallelism } from 'node:os';
import type { JobType } from '@crawlfleet/core';

/**
 * Jobs one worker process runs at once when `WORKER_CONCURRENCY` is unset:
 * sqrt is tiny, so many at once hide Redis round trips; fibonacci is CPU work
 * in worker threads, one per core; crawl waits on the network.
 */
export function defaultConcurrency(queue: JobType): number {
  switch (queue) {
    case 'sqrt':
      return 50;
    case 'fibonacci':
      return Math.max(1, availableParallelism());
    case 'crawl':
      return 32;
  }
}
