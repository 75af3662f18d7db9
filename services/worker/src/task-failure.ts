import { isRetryable } from '@crawlfleet/tasks/errors';

/** How a task failed, in a form that crosses a thread boundary as plain data. */
export interface TaskFailure {
  /** The error's message, led by its `CF_ERR_…` code when it has one. */
  message: string;
  /** Whether trying again can succeed (see `isRetryable`). */
  retryable: boolean;
}

/**
 * Describes a task's error. The code leads the message, so the job's `error`
 * says what happened in a form scripts can match. Imports nothing heavy: the
 * fibonacci threads use it.
 */
export function describeFailure(err: unknown): TaskFailure {
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as { code?: unknown }).code;
  const message =
    typeof code === 'string' && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  return { message, retryable: isRetryable(error) };
}
