import { jobKind } from '@crawlfleet/tasks/kinds';

/** Jobs one worker process runs at once when `WORKER_CONCURRENCY` is unset: its kind's default (the registry). */
export function defaultConcurrency(queue: string): number {
  return jobKind(queue).concurrency();
}

/**
 * Node flags a worker process for `queue` is started with by `npm start`, the
 * compose files and the bench: its kind's (a smaller V8 young generation than
 * the default semi-spaces, which bursts of jobs fill; bench/README.md).
 */
export function workerNodeArgs(queue: string): string[] {
  return [...jobKind(queue).nodeArgs];
}
