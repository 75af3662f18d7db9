import { JOB_TYPES } from '@crawlfleet/tasks/kinds';
import { JOB_STATES, MAX_WAIT_MS } from '@crawlfleet/core';
import { Type, type TSchema } from 'typebox';

/** BullMQ's highest priority number (lower numbers run first; 0 means none). */
export const MAX_PRIORITY = 2_097_152;

export const JobTypeName = Type.Union(JOB_TYPES.map((type) => Type.Literal(type)));
export const JobStateName = Type.Union(JOB_STATES.map((state) => Type.Literal(state)));

export const JobIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200, description: 'The job id' }),
});

const wait = Type.Integer({
  minimum: 0,
  maximum: MAX_WAIT_MS,
  description: 'Wait up to this many ms for the job to finish',
});

/** The options a client may set on a job; `delay` is capped by MAX_DELAY_MS. */
function jobOptions(maxDelayMs: number) {
  return {
    priority: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_PRIORITY, description: '1 runs first; 0 (default) means no priority' }),
    ),
    delay: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: maxDelayMs,
        description: `Run no earlier than this many ms from now (<= ${maxDelayMs}, MAX_DELAY_MS)`,
      }),
    ),
    attempts: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'Tries before the job fails (default JOB_ATTEMPTS)' }),
    ),
  };
}

/** Query strings of the submit routes, for the configured delay cap. */
export function submitQueries(maxDelayMs: number) {
  const options = jobOptions(maxDelayMs);
  return {
    SubmitQuery: Type.Object({ wait: Type.Optional(wait), ...options }, { additionalProperties: false }),
    BatchQuery: Type.Object(options, { additionalProperties: false }),
  };
}
export const WaitQuery = Type.Object({ wait: Type.Optional(wait) }, { additionalProperties: false });

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'The same key for the same type returns the same job' }),
  ),
});

export const JobAccepted = Type.Object(
  {
    id: Type.String(),
    type: JobTypeName,
    state: JobStateName,
    url: Type.String(),
  },
  { title: 'JobAccepted' },
);

export const BatchAccepted = Type.Object({ ids: Type.Array(Type.String()) }, { title: 'BatchAccepted' });

const timestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

/** A job as GET /v1/jobs/{type}/{id} shows it. */
export function jobView(input: TSchema, result: TSchema, title = 'Job') {
  return Type.Object(
    {
      id: Type.String(),
      type: JobTypeName,
      state: JobStateName,
      input,
      result: Type.Union([result, Type.Null()]),
      error: Type.Union([Type.String(), Type.Null()]),
      progress: Type.Unknown(),
      attempts: Type.Integer({ description: 'Attempts made so far' }),
      createdAt: timestamp,
      startedAt: timestamp,
      finishedAt: timestamp,
    },
    { title },
  );
}

export const ErrorReply = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    code: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String()),
    quota: Type.Optional(
      Type.Object(
        { name: Type.String(), limit: Type.Integer(), used: Type.Integer() },
        { description: 'CF_ERR_QUOTA_EXCEEDED: the quota reached, its limit and the use' },
      ),
    ),
  },
  { title: 'Error' },
);

/**
 * The error answers a route can give beside those of every /v1 route (401, 403, 429, 503: openapi-finish.ts
 * adds them): 400 invalid input, 404 no such object (or type), 409 the wrong state or a reused idempotency
 * key, 413 a body over the limit.
 */
export function errorReplies(...statuses: (400 | 404 | 409 | 413)[]): Record<number, typeof ErrorReply> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorReply]));
}
