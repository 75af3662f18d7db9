/*
 * The errors a task throws, declared in core's one table (@crawlfleet/core
 * errors), where each declaration also says whether trying again can help:
 * the worker turns a non-retryable error into a failure without retries and
 * retries the others with backoff.
 */
export {
  BodyTooLargeError,
  CancelledError,
  FetchFailedError,
  FetchRefusedError,
  FetchTimeoutError,
  HostBusyError,
  InvalidGlobError,
  InvalidInputError,
  RedirectError,
  UpstreamStatusError,
  isRetryable,
} from '@crawlfleet/core/errors';
