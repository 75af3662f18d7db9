import { isRetryable } from '@crawlfleet/tasks/errors';

/**
 * BullMQ fails a job at once, without retries, when its error is named
 * UnrecoverableError (Job.moveToFailed checks the name, and the name crosses
 * the sandbox's thread boundary). Made here rather than imported, so the
 * fibonacci threads need not load all of bullmq and ioredis.
 */
function unrecoverable(message: string): Error {
  const error = new Error(message);
  error.name = 'UnrecoverableError';
  return error;
}

/**
 * Turns a task's error into what BullMQ acts on: UnrecoverableError (fail now,
 * no retries) for errors that trying again cannot fix; a plain error, retried
 * with backoff, otherwise. The code leads the message, so the job's `error`
 * says what happened in a form scripts can match.
 */
export function toBullmqError(err: unknown): Error {
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as { code?: unknown }).code;
  const message = typeof code === 'string' && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  if (!isRetryable(error)) return unrecoverable(message);
  if (message === error.message) return error;
  const retryable = new Error(message);
  retryable.stack = error.stack;
  return retryable;
}
