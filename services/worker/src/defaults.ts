import { availableParallelism } from 'node:os';
import type { WorkerKind } from '@crawlfleet/core';

/**
 * Jobs one worker process runs at once when `WORKER_CONCURRENCY` is unset:
 * sqrt is tiny, so many at once hide Redis round trips; fibonacci is CPU work
 * in worker threads, one per core; crawl and webhook wait on the network.
 */
export function defaultConcurrency(queue: WorkerKind): number {
  switch (queue) {
    case 'sqrt':
      return 50;
    case 'fibonacci':
      return Math.max(1, availableParallelism());
    case 'crawl':
      return 32;
    case 'webhook':
      return 16;
    case 'render':
      // A browser context a job, each a renderer process: memory, not the network, bounds it.
      return 2;
  }
}

/**
 * Node flags a worker process for `queue` is started with by `npm start`, the
 * compose files and the bench: a smaller V8 young generation than the default
 * semi-spaces, which bursts of jobs fill. The fibonacci worker's main thread
 * only hands jobs to its threads, so a small young generation costs it
 * nothing; the crawl worker parses pages on its main thread, so it gets a
 * larger one, where the memory saved still outweighs the rate lost.
 * bench/README.md has the figures.
 */
export function workerNodeArgs(queue: WorkerKind): string[] {
  switch (queue) {
    case 'sqrt':
    case 'webhook':
      return [];
    case 'fibonacci':
      return ['--max-semi-space-size=4'];
    case 'crawl':
    case 'render':
      return ['--max-semi-space-size=8'];
  }
}
