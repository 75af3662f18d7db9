import { quietErrors, queueKeyPrefix, type Config, type RedisClient } from '@crawlfleet/core/runtime';
import { DelayedError, MetricsTime, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { describeFailure, type TaskFailure } from './task-failure.js';

/*
 * The worker's BullMQ adapter: the one module of the worker that imports
 * bullmq (the API's is plugins/job-queues.ts, the frontier's hand-out is
 * packages/crawl's page-jobs.ts). Processors see BullMQ's Job and Worker through the
 * types below, and say "moved back to delayed" or "do not retry" with the
 * functions here.
 */

export { MetricsTime, Worker, type Job, type Queue };

/** A queue on `connection`, under QUEUE_PREFIX with its name as a hash tag; its connection errors are the connection's to report. */
export function openQueue(name: string, connection: RedisClient, config: Config): Queue {
  return quietErrors(new Queue(name, { connection, prefix: queueKeyPrefix(config.queuePrefix, name) }));
}

/** What a processor throws after moving its job back to delayed itself (job.moveToDelayed): BullMQ leaves it there. */
export function movedToDelayed(): Error {
  return new DelayedError();
}

/** An error BullMQ fails the job with at once, without the attempts left. */
export function unrecoverable(message: string): Error {
  return new UnrecoverableError(message);
}

/**
 * The error BullMQ acts on for a failure: UnrecoverableError (fail now, no
 * retries) when trying again cannot help, a plain error (retried with
 * backoff) otherwise.
 */
export function failureError(failure: TaskFailure): Error {
  return failure.retryable ? new Error(failure.message) : unrecoverable(failure.message);
}

/** Turns a task's error into what BullMQ acts on (see {@link failureError}), keeping its stack. */
export function toBullmqError(err: unknown): Error {
  const failure = describeFailure(err);
  if (failure.retryable && err instanceof Error && err.message === failure.message) return err;
  const error = failureError(failure);
  if (err instanceof Error) error.stack = err.stack;
  return error;
}
