import { UnrecoverableError } from 'bullmq';
import { describeFailure, type TaskFailure } from './task-failure.js';

/**
 * The error BullMQ acts on for a failure: UnrecoverableError (fail now, no
 * retries) when trying again cannot help, a plain error (retried with
 * backoff) otherwise.
 */
export function failureError(failure: TaskFailure): Error {
  return failure.retryable ? new Error(failure.message) : new UnrecoverableError(failure.message);
}

/** Turns a task's error into what BullMQ acts on (see {@link failureError}), keeping its stack. */
export function toBullmqError(err: unknown): Error {
  const failure = describeFailure(err);
  if (failure.retryable && err instanceof Error && err.message === failure.message) return err;
  const error = failureError(failure);
  if (err instanceof Error) error.stack = err.stack;
  return error;
}
