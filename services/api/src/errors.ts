import createError from '@fastify/error';

/*
 * Every error the API answers with, declared once: code, message template,
 * HTTP status. Redis being away is core's RedisUnavailableError (503).
 */

export const ValidationError = createError('CF_ERR_VALIDATION', '%s', 400);
export const InvalidJsonError = createError('CF_ERR_INVALID_JSON', 'The body is not valid JSON: %s', 400);
export const BodyTooLargeError = createError('CF_ERR_BODY_TOO_LARGE', 'The body is larger than %s bytes', 413);
export const UnsupportedMediaTypeError = createError(
  'CF_ERR_UNSUPPORTED_MEDIA_TYPE',
  'Content-Type %s is not supported; send application/json',
  415,
);
export const RouteNotFoundError = createError('CF_ERR_NOT_FOUND', 'No route %s %s', 404);
export const BadUrlError = createError('CF_ERR_BAD_URL', 'The URL path is not valid percent-encoding: %s', 400);
export const ParamTooLongError = createError('CF_ERR_PARAM_TOO_LONG', 'An id or type in the URL path is longer than %s characters', 414);
export const UnknownJobTypeError = createError(
  'CF_ERR_UNKNOWN_TYPE',
  'Unknown job type "%s"; the types are %s',
  404,
);
export const JobNotFoundError = createError(
  'CF_ERR_JOB_NOT_FOUND',
  'No %s job with id "%s": it never existed, was removed, or has expired',
  404,
);
export const JobNotCancellableError = createError(
  'CF_ERR_JOB_ACTIVE',
  'Job "%s" is active and %s jobs cannot be cancelled once started; wait for it to finish',
  409,
);
export const IdempotencyConflictError = createError(
  'CF_ERR_IDEMPOTENCY_CONFLICT',
  'Idempotency-Key "%s" was already used for a different input; use a new key',
  409,
);
export const InternalError = createError('CF_ERR_INTERNAL', 'Internal server error', 500);
export const CrawlNotFoundError = createError(
  'CF_ERR_CRAWL_NOT_FOUND',
  'No crawl with id "%s": it never existed or has expired',
  404,
);
export const CrawlFinishedError = createError(
  'CF_ERR_CRAWL_FINISHED',
  'Crawl "%s" is already %s; there is nothing to cancel',
  409,
);
export const InvalidCursorError = createError('CF_ERR_VALIDATION', 'querystring.cursor is not a cursor this API gave out', 400);
export const UnauthorizedError = createError('CF_ERR_UNAUTHORIZED', 'Unauthorized: %s', 401);
export const ScheduleNotFoundError = createError('CF_ERR_SCHEDULE_NOT_FOUND', 'No %s schedule with id "%s"', 404);
export const TooManyStreamsError = createError(
  'CF_ERR_TOO_MANY_STREAMS',
  'This client has %s event streams open (MAX_STREAMS_PER_CLIENT); close one first',
  429,
);
export const TooManyWaitsError = createError(
  'CF_ERR_TOO_MANY_WAITS',
  'This client has %s requests waiting with ?wait (MAX_WAITS_PER_CLIENT); retry without ?wait or later',
  429,
);
export const RedisMemoryError = createError(
  'CF_ERR_REDIS_MEMORY',
  'Redis is using %s%% of its maxmemory; new jobs, crawls and schedules are refused until it drains (reads go on)',
  503,
);
