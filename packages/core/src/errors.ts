import createError from '@fastify/error';

/*
 * Every error crawlfleet answers with or records, declared once (as fastify's
 * lib/errors.js): the key is the code, the message a template, the status
 * what the API answers, and `retry` what happens next: true when trying the
 * same thing again can succeed (a job is retried with backoff, a client
 * should retry later), false when it cannot (the job fails at once, the
 * client must change the request). The README's table of codes lists the
 * same keys; a test holds them together.
 */

interface Declaration {
  readonly message: string;
  readonly status: number;
  readonly retry: boolean;
}

export const ERRORS = {
  // Configuration and Redis.
  CF_ERR_CONFIG: { message: 'Invalid configuration: %s', status: 500, retry: false },
  CF_ERR_REDIS_UNAVAILABLE: { message: 'Redis is not reachable (%s); retry later', status: 503, retry: true },
  CF_ERR_REDIS_MEMORY: {
    message: 'Redis is using %s%% of its maxmemory; new jobs, crawls and schedules are refused until it drains (reads go on)',
    status: 503, retry: true,
  },
  // Requests.
  CF_ERR_VALIDATION: { message: '%s %s', status: 400, retry: false },
  CF_ERR_INVALID_JSON: { message: 'The body is not valid JSON: %s', status: 400, retry: false },
  CF_ERR_PAYLOAD_TOO_LARGE: { message: 'The body is larger than %s bytes', status: 413, retry: false },
  CF_ERR_UNSUPPORTED_MEDIA_TYPE: { message: 'Content-Type %s is not supported; send application/json', status: 415, retry: false },
  CF_ERR_BAD_REQUEST: { message: '%s', status: 400, retry: false },
  CF_ERR_NOT_FOUND: { message: 'No route %s %s', status: 404, retry: false },
  CF_ERR_BAD_URL: { message: 'The URL path is not valid percent-encoding: %s', status: 400, retry: false },
  CF_ERR_PARAM_TOO_LONG: { message: 'An id or type in the URL path is longer than %s characters', status: 414, retry: false },
  CF_ERR_UNAUTHORIZED: { message: 'Unauthorized: %s', status: 401, retry: false },
  CF_ERR_RATE_LIMITED: { message: 'Rate limit of %s requests per %s reached; retry after the Retry-After seconds', status: 429, retry: true },
  CF_ERR_TOO_MANY_STREAMS: {
    message: 'This client has %s event streams open (MAX_STREAMS_PER_CLIENT); close one first', status: 429, retry: true,
  },
  CF_ERR_TOO_MANY_WAITS: {
    message: 'This client has %s requests waiting with ?wait (MAX_WAITS_PER_CLIENT); retry without ?wait or later',
    status: 429, retry: true,
  },
  CF_ERR_INTERNAL: { message: 'Internal server error', status: 500, retry: true },
  // Jobs, crawls, schedules.
  CF_ERR_UNKNOWN_TYPE: { message: 'Unknown job type "%s"; the types are %s', status: 404, retry: false },
  CF_ERR_JOB_NOT_FOUND: { message: 'No %s job with id "%s": it never existed, was removed, or has expired', status: 404, retry: false },
  CF_ERR_JOB_ACTIVE: {
    message: 'Job "%s" is active and %s jobs cannot be cancelled once started; wait for it to finish', status: 409, retry: false,
  },
  CF_ERR_IDEMPOTENCY_CONFLICT: {
    message: 'Idempotency-Key "%s" was already used for a different input; use a new key', status: 409, retry: false,
  },
  CF_ERR_CRAWL_NOT_FOUND: { message: 'No crawl with id "%s": it never existed or has expired', status: 404, retry: false },
  CF_ERR_CRAWL_FINISHED: { message: 'Crawl "%s" is already %s; there is nothing to cancel', status: 409, retry: false },
  CF_ERR_SCHEDULE_NOT_FOUND: { message: 'No %s schedule with id "%s"', status: 404, retry: false },
  // Tasks: the status is what the API would answer if it met the same condition.
  CF_ERR_INVALID_INPUT: { message: 'Invalid input: %s', status: 400, retry: false },
  CF_ERR_INVALID_GLOB: { message: 'The glob %s %s', status: 400, retry: false },
  CF_ERR_FETCH_REFUSED: { message: 'Refused to fetch %s: %s', status: 400, retry: false },
  CF_ERR_FETCH_TIMEOUT: { message: 'Fetching %s took longer than %s ms', status: 504, retry: true },
  CF_ERR_BODY_TOO_LARGE: { message: 'The body of %s is larger than the cap of %s bytes', status: 502, retry: false },
  CF_ERR_REDIRECT: { message: 'Redirects of %s: %s', status: 502, retry: false },
  CF_ERR_UPSTREAM_STATUS: { message: '%s answered HTTP %s', status: 502, retry: true },
  CF_ERR_FETCH_FAILED: { message: 'Could not fetch %s: %s', status: 502, retry: true },
  CF_ERR_CANCELLED: { message: 'Cancelled: %s', status: 409, retry: false },
  // Pages of a crawl, as their records say.
  CF_ERR_ROBOTS_DISALLOWED: { message: 'robots.txt disallows this URL', status: 403, retry: false },
  CF_ERR_ROBOTS_UNAVAILABLE: { message: '%s, so the site is treated as disallowing all', status: 503, retry: false },
  CF_ERR_PAGE_LOST: { message: 'its page job %s', status: 500, retry: false },
} as const satisfies Record<string, Declaration>;

/** A declared code. */
export type ErrorCode = keyof typeof ERRORS;

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
export const InvalidJsonError = declared('CF_ERR_INVALID_JSON');
export const PayloadTooLargeError = declared('CF_ERR_PAYLOAD_TOO_LARGE');
export const UnsupportedMediaTypeError = declared('CF_ERR_UNSUPPORTED_MEDIA_TYPE');
export const BadRequestError = declared('CF_ERR_BAD_REQUEST');
export const RouteNotFoundError = declared('CF_ERR_NOT_FOUND');
export const BadUrlError = declared('CF_ERR_BAD_URL');
export const ParamTooLongError = declared('CF_ERR_PARAM_TOO_LONG');
export const UnauthorizedError = declared('CF_ERR_UNAUTHORIZED');
export const RateLimitedError = declared('CF_ERR_RATE_LIMITED');
export const TooManyStreamsError = declared('CF_ERR_TOO_MANY_STREAMS');
export const TooManyWaitsError = declared('CF_ERR_TOO_MANY_WAITS');
export const InternalError = declared('CF_ERR_INTERNAL');
export const UnknownJobTypeError = declared('CF_ERR_UNKNOWN_TYPE');
export const JobNotFoundError = declared('CF_ERR_JOB_NOT_FOUND');
export const JobNotCancellableError = declared('CF_ERR_JOB_ACTIVE');
export const IdempotencyConflictError = declared('CF_ERR_IDEMPOTENCY_CONFLICT');
export const CrawlNotFoundError = declared('CF_ERR_CRAWL_NOT_FOUND');
export const CrawlFinishedError = declared('CF_ERR_CRAWL_FINISHED');
export const ScheduleNotFoundError = declared('CF_ERR_SCHEDULE_NOT_FOUND');
export const InvalidInputError = declared('CF_ERR_INVALID_INPUT');
export const InvalidGlobError = declared('CF_ERR_INVALID_GLOB');
export const FetchRefusedError = declared('CF_ERR_FETCH_REFUSED');
export const FetchTimeoutError = declared('CF_ERR_FETCH_TIMEOUT');
export const BodyTooLargeError = declared('CF_ERR_BODY_TOO_LARGE');
export const RedirectError = declared('CF_ERR_REDIRECT');
export const UpstreamStatusError = declared('CF_ERR_UPSTREAM_STATUS');
export const FetchFailedError = declared('CF_ERR_FETCH_FAILED');
export const CancelledError = declared('CF_ERR_CANCELLED');
export const RobotsDisallowedError = declared('CF_ERR_ROBOTS_DISALLOWED');
export const RobotsUnavailableError = declared('CF_ERR_ROBOTS_UNAVAILABLE');
export const PageLostError = declared('CF_ERR_PAGE_LOST');
