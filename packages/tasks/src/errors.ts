import createError from '@fastify/error';

/*
 * Errors a task throws. `retryable` says whether trying again can help:
 * the worker turns a non-retryable error into a failure without retries and
 * retries the others with backoff. The HTTP status is what the API would
 * answer if it met the same condition.
 */

/** The input can never succeed (the API normally rejects it first). */
export const InvalidInputError = createError('CF_ERR_INVALID_INPUT', 'Invalid input: %s', 400);

/** The URL's scheme or address is not allowed; fetching it again will not help. */
export const FetchRefusedError = createError('CF_ERR_FETCH_REFUSED', 'Refused to fetch %s: %s', 400);

/** The page did not arrive before the deadline. */
export const FetchTimeoutError = createError('CF_ERR_FETCH_TIMEOUT', 'Fetching %s took longer than %s ms', 504);

/** The (decompressed) body is larger than the cap. */
export const BodyTooLargeError = createError(
  'CF_ERR_BODY_TOO_LARGE',
  'The body of %s is larger than the cap of %s bytes',
  502,
);

/** More redirects than the cap, or a redirect without a usable Location. */
export const RedirectError = createError('CF_ERR_REDIRECT', 'Redirects of %s: %s', 502);

/** The server answered 5xx; it may answer later. */
export const UpstreamStatusError = createError('CF_ERR_UPSTREAM_STATUS', '%s answered HTTP %s', 502);

/** A network failure (DNS, connection reset, TLS); it may pass. */
export const FetchFailedError = createError('CF_ERR_FETCH_FAILED', 'Could not fetch %s: %s', 502);

/** The job was cancelled while it ran. */
export const CancelledError = createError('CF_ERR_CANCELLED', 'Cancelled: %s', 409);

const RETRYABLE = new Set(['CF_ERR_FETCH_TIMEOUT', 'CF_ERR_UPSTREAM_STATUS', 'CF_ERR_FETCH_FAILED']);

/**
 * True when trying the task again can succeed. Errors without a `CF_ERR_`
 * code are unexpected and treated as transient.
 */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('CF_ERR_')) return true;
  return RETRYABLE.has(code);
}

/** An include/exclude glob that cannot be compiled. */
export const InvalidGlobError = createError('CF_ERR_INVALID_GLOB', 'The glob %s %s', 400);
