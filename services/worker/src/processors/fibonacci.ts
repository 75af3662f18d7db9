import { availableParallelism } from 'node:os';
import type { Job } from 'bullmq';
import { Piscina } from 'piscina';
import { failureError } from '../to-bullmq-error.js';
import type { FibonacciOutcome, FibonacciTask } from './fibonacci-thread.js';

const threadFile = new URL('./fibonacci-thread.js', import.meta.url).href;

/** Threads beyond one per core exit after this long without a job. */
const EXTRA_THREAD_IDLE_MS = 60_000;

/**
 * The fibonacci queue's processor: each job runs in a worker thread, so a
 * large n never blocks the worker's event loop (its locks keep being renewed)
 * and jobs run side by side. The threads, one per core up to `concurrency`,
 * start with the worker, so the first jobs that overlap do not wait for one
 * to start (which takes longest beside a running fib(1,000,000); bench/README.md).
 * @param maxN the largest n accepted (`FIBONACCI_MAX_N`)
 */
export function fibonacciProcessor(maxN: number, concurrency: number) {
  const pool = new Piscina<FibonacciTask, FibonacciOutcome>({
    filename: threadFile,
    minThreads: Math.min(concurrency, availableParallelism()),
    maxThreads: concurrency,
    idleTimeout: EXTRA_THREAD_IDLE_MS,
    // Node refuses a worker thread V8 flags such as --max-semi-space-size,
    // which the launchers give this process (Worker's default is its execArgv).
    execArgv: [],
  });
  return {
    async process(job: Job): Promise<unknown> {
      const outcome = await pool.run({ input: job.data as FibonacciTask['input'], maxN } satisfies FibonacciTask);
      if ('failure' in outcome) throw failureError(outcome.failure);
      return outcome.result;
    },
    /** Stops the threads, ending any job still running in one. */
    close: () => pool.destroy(),
  };
}
