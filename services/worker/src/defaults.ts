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

/**
 * Node flags a worker process for `queue` is started with by `npm start`, the
 * compose files and the bench. The fibonacci worker's main thread only hands
 * jobs to its threads, yet under a burst of small jobs V8 grew its young
 * generation to the default 2 x 16 MB semi-spaces: ~25 MB of RSS, where 4 MB
 * semi-spaces cost none of its rate (bench/README.md). The crawl worker, which
 * does its work on the main thread, lost 10-20% of its rate with them.
 */
export function workerNodeArgs(queue: JobType): string[] {
  return queue === 'fibonacci' ? ['--max-semi-space-size=4'] : [];
}
