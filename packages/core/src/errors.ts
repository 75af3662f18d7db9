import createError from '@fastify/error';
import table from './errors.json' with { type: 'json' };

/*
 * Every error crawlfleet answers with or records, declared once, in one
 * table (as fastify's lib/errors.js), kept as data in errors.json: the key is
 * the code, the message a template, the status what the API answers, and
 * `retry` what happens next: true when trying the same thing again can
 * succeed (a job is retried with backoff, a client should retry later),
 * false when it cannot (the job fails at once, the client must change the
 * request). This module makes the constructors. The table of codes in docs/api.md
 * lists the same keys; a test holds them together.
 */

interface Declaration {
  readonly message: string;
  readonly status: number;
  readonly retry: boolean;
}

/** The table (errors.json: data, one entry a code). */
export const ERRORS: Readonly<Record<ErrorCode, Declaration>> = table;

/** A declared code. */
export type ErrorCode = keyof typeof table;

/** The constructor of the error declared as `code`. */
function declared(code: ErrorCode) {
  const { message, status } = ERRORS[code];
  return createError(code, message, status);
}

/**
 * Whether trying again can succeed, from the error's declaration. Errors
 * without a declared code are unexpected and treated as transient.
 */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in ERRORS ? ERRORS[code as ErrorCode].retry : true;
}

const ValidationBase = declared('CF_ERR_VALIDATION');

/** A request field that breaks a rule: "body.value must be >= 0", with `field` for clients. */
export class ValidationError extends ValidationBase {
  readonly field: string;

  constructor(field: string, rule: string) {
    super(field, rule);
    this.field = field;
  }
}

export const ConfigError = declared('CF_ERR_CONFIG');
export const RedisUnavailableError = declared('CF_ERR_REDIS_UNAVAILABLE');
export const RedisMemoryError = declared('CF_ERR_REDIS_MEMORY');
export const NotReplicatedError = declared('CF_ERR_NOT_REPLICATED');
export const InvalidJsonError = declared('CF_ERR_INVALID_JSON');
export const PayloadTooLargeError = declared('CF_ERR_PAYLOAD_TOO_LARGE');
export const UnsupportedMediaTypeError = declared('CF_ERR_UNSUPPORTED_MEDIA_TYPE');
export const BadRequestError = declared('CF_ERR_BAD_REQUEST');
export const RouteNotFoundError = declared('CF_ERR_NOT_FOUND');
export const BadUrlError = declared('CF_ERR_BAD_URL');
export const ParamTooLongError = declared('CF_ERR_PARAM_TOO_LONG');
export const UnauthorizedError = declared('CF_ERR_UNAUTHORIZED');
export const ForbiddenError = declared('CF_ERR_FORBIDDEN');
export const RateLimitedError = declared('CF_ERR_RATE_LIMITED');

const QuotaBase = declared('CF_ERR_QUOTA_EXCEEDED');

/** A tenant's quota reached: names the quota, its limit and the use; `retryAfter` (s) where time heals it. */
export class QuotaExceededError extends QuotaBase {
  readonly quota: string;
  readonly limit: number;
  readonly used: number;
  readonly retryAfter: number | null;

  constructor(quota: string, tenant: string, limit: number, used: number, retryAfter: number | null = null) {
    super(quota, tenant, `the limit is ${limit} and ${used} are in use`);
    this.limit = limit;
    this.used = used;
    this.quota = quota;
    this.retryAfter = retryAfter;
  }
}
export const TooManyStreamsError = declared('CF_ERR_TOO_MANY_STREAMS');
export const TooManyWaitsError = declared('CF_ERR_TOO_MANY_WAITS');
export const InternalError = declared('CF_ERR_INTERNAL');
export const UnknownJobTypeError = declared('CF_ERR_UNKNOWN_TYPE');
export const JobNotFoundError = declared('CF_ERR_JOB_NOT_FOUND');
export const JobNotCancellableError = declared('CF_ERR_JOB_ACTIVE');
export const JobNotRetriableError = declared('CF_ERR_JOB_NOT_RETRIABLE');
export const IdempotencyConflictError = declared('CF_ERR_IDEMPOTENCY_CONFLICT');
export const CrawlNotFoundError = declared('CF_ERR_CRAWL_NOT_FOUND');
export const CrawlFinishedError = declared('CF_ERR_CRAWL_FINISHED');
export const ScheduleNotFoundError = declared('CF_ERR_SCHEDULE_NOT_FOUND');
export const InvalidInputError = declared('CF_ERR_INVALID_INPUT');
export const InvalidGlobError = declared('CF_ERR_INVALID_GLOB');
export const FetchRefusedError = declared('CF_ERR_FETCH_REFUSED');
export const FetchTimeoutError = declared('CF_ERR_FETCH_TIMEOUT');
export const BodyTooLargeError = declared('CF_ERR_BODY_TOO_LARGE');
export const RenderMemoryError = declared('CF_ERR_RENDER_MEMORY');
export const RedirectError = declared('CF_ERR_REDIRECT');
export const UpstreamStatusError = declared('CF_ERR_UPSTREAM_STATUS');
export const FetchFailedError = declared('CF_ERR_FETCH_FAILED');
export const CancelledError = declared('CF_ERR_CANCELLED');
export const RobotsDisallowedError = declared('CF_ERR_ROBOTS_DISALLOWED');
export const RobotsUnavailableError = declared('CF_ERR_ROBOTS_UNAVAILABLE');
export const PageLostError = declared('CF_ERR_PAGE_LOST');
export const HostUnavailableError = declared('CF_ERR_HOST_UNAVAILABLE');

const HostBusyBase = declared('CF_ERR_HOST_BUSY');

/** A 429 or 503: the host asks to wait, for `retryAfter` (its Retry-After header) when it says. */
export class HostBusyError extends HostBusyBase {
  readonly retryAfter: string | null;

  constructor(url: string, status: number, retryAfter: string | null) {
    super(url, status);
    this.retryAfter = retryAfter;
  }
}
