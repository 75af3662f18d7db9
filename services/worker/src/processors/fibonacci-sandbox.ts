// Subpath imports: each thread loads only what fibonacci needs, not the
// crawler's libraries (the full package entry points cost a thread about a
// second to start and ~50 MB).
import { loadConfig } from '@crawlfleet/core/config';
import { fibonacci } from '@crawlfleet/tasks/fibonacci';
import type { SandboxedJob } from 'bullmq';
import { toBullmqError } from '../to-bullmq-error.js';

/*
 * Runs in a BullMQ sandbox (a worker thread), so a large n never blocks the
 * worker's event loop and its locks keep being renewed. The thread inherits
 * the process environment, so it reads the same configuration.
 */
const config = loadConfig();

export default async function processFibonacci(job: SandboxedJob) {
  try {
    return fibonacci(job.data, config.fibonacciMaxN);
  } catch (err) {
    throw toBullmqError(err);
  }
}
