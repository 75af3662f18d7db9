import { availableParallelism } from 'node:os';
import type { Config } from '@crawlfleet/core/runtime';
import type { JobKind } from '@crawlfleet/tasks/kinds';
import type { Job } from '../bullmq.js';
import { Piscina } from 'piscina';
import { failureError } from '../bullmq.js';
import type { KindOutcome, KindTask } from './kind-thread.js';

const threadFile = new URL('./kind-thread.js', import.meta.url).href;

/** Threads beyond one per core exit after this long without a job. */
const EXTRA_THREAD_IDLE_MS = 60_000;

/**
 * The processor of a kind whose jobs run in worker threads (fibonacci): a
 * long job never blocks the worker's event loop (its locks keep being
 * renewed) and jobs run side by side. The threads, one per core up to
 * `concurrency`, start with the worker, so the first jobs that overlap do not
 * wait for one to start (which takes longest beside a running
 * fib(1,000,000); bench/README.md).
 */
export function threadProcessor(kind: JobKind, config: Config, concurrency: number) {
  if (kind.run.mode !== 'thread' || !kind.module) throw new Error(`job kind ${kind.name} does not run in threads`);
  const module = kind.module;
  const pool = new Piscina<KindTask, KindOutcome>({
    filename: threadFile,
    minThreads: Math.min(concurrency, availableParallelism()),
    maxThreads: concurrency,
    idleTimeout: EXTRA_THREAD_IDLE_MS,
    workerData: { config },
    // Node refuses a worker thread V8 flags such as --max-semi-space-size,
    // which the launchers give this process (Worker's default is its execArgv).
    execArgv: [],
  });
  return {
    async process(job: Job): Promise<unknown> {
      const outcome = await pool.run({ module, kind: kind.name, data: job.data });
      if ('failure' in outcome) throw failureError(outcome.failure);
      return outcome.result;
    },
    /** Stops the threads, ending any job still running in one. */
    close: () => pool.destroy(),
  };
}
