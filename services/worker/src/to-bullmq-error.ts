import { isRetryable } from '@crawlfleet/tasks';
import { UnrecoverableError } from 'bullmq';

/**
 * Turns a task's error into what BullMQ acts on: UnrecoverableError (fail now,
 * no retries) for errors that trying again cannot fix; the error itself, to be
 * retried with backoff, otherwise. The code stays in the message, so the
 * job's `error` says what happened.
 */
export function toBullmqError(err: unknown): Error {
  const error = err instanceof Error ? err : new Error(String(err));
  if (isRetryable(error)) return error;
  const code = (error as { code?: string }).code;
  const message = code && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  return new UnrecoverableError(message);
}
