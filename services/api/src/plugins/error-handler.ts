import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isRedisDownError, RedisUnavailableError } from '@crawlfleet/core';
import {
  BadUrlError,
  BadRequestError,
  InternalError,
  InvalidJsonError,
  ParamTooLongError,
  PayloadTooLargeError,
  RouteNotFoundError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';

type Shaped = {
  statusCode: number;
  code: string;
  message: string;
  field?: string;
  quota?: { name: string; limit: number; used: number };
};

/** Fastify's own request errors, in the API's codes and words. */
function fromFastify(err: FastifyError & { field?: string }, bodyLimit: number, contentType: string): Shaped | null {
  if (err.validation)
    return {
      statusCode: 400,
      code: 'CF_ERR_VALIDATION',
      message: err.message,
      ...(err.field ? { field: err.field } : {}),
    };
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return toShape(new InvalidJsonError(err.message));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { ...toShape(new ValidationError('body', 'is required: send a JSON object')), field: 'body' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return toShape(new PayloadTooLargeError(bodyLimit));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return toShape(new UnsupportedMediaTypeError(JSON.stringify(contentType)));
    default:
      break;
  }
  if (err instanceof SyntaxError || err.name === 'SyntaxError') return toShape(new InvalidJsonError(err.message));
  return null;
}

function toShape(err: { statusCode?: number; code: string; message: string }): Shaped {
  return { statusCode: err.statusCode ?? 500, code: err.code, message: err.message };
}

function send(reply: FastifyReply, shaped: Shaped): FastifyReply {
  if (shaped.statusCode === 503) reply.header('retry-after', '5');
  return reply.code(shaped.statusCode).send({
    statusCode: shaped.statusCode,
    error: STATUS_CODES[shaped.statusCode] ?? 'Error',
    code: shaped.code,
    message: shaped.message,
    ...(shaped.field ? { field: shaped.field } : {}),
    ...(shaped.quota ? { quota: shaped.quota } : {}),
  });
}

/** The quota a CF_ERR_QUOTA_EXCEEDED names, for clients to read without parsing the message. */
function quotaOf(err: unknown): Shaped['quota'] {
  const { quota, limit, used } = err as { quota?: unknown; limit?: unknown; used?: unknown };
  return typeof quota === 'string' ? { name: quota, limit: Number(limit), used: Number(used) } : undefined;
}

/**
 * One error handler: every error leaves as `{statusCode, error, code, message}`;
 * 4xx say what to fix, Redis trouble is a 503, anything else is a logged 500
 * whose details stay in the log.
 */
export const errorHandler = fp(
  async function errorHandler(app: FastifyInstance) {
    app.setErrorHandler((err: FastifyError & { field?: string }, request, reply) => {
      const known = fromFastify(err, app.initialConfig.bodyLimit ?? 1048576, request.headers['content-type'] ?? '');
      if (known) return send(reply, known);
      if (err.code === 'CF_ERR_REDIS_UNAVAILABLE' || isRedisDownError(err)) {
        const unavailable = err.code === 'CF_ERR_REDIS_UNAVAILABLE' ? err : new RedisUnavailableError(err.message);
        request.log.warn({ err: unavailable.message }, 'Redis unavailable');
        return send(reply, toShape(unavailable));
      }
      const status = err.statusCode ?? 500;
      // A declared 503 (Redis memory pressure) says what to do, like a 4xx.
      if ((status >= 400 && status < 500) || (status === 503 && err.code?.startsWith('CF_ERR_'))) {
        // A quota that time heals (pages per day) says when.
        const retryAfter = (err as { retryAfter?: unknown }).retryAfter;
        if (status === 429 && typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
        const code = err.code?.startsWith('CF_ERR_') ? err.code : new BadRequestError('').code;
        return send(reply, {
          statusCode: status,
          code,
          message: err.message,
          ...(err.field ? { field: err.field } : {}),
          ...(quotaOf(err) ? { quota: quotaOf(err) } : {}),
        });
      }
      request.log.error({ err }, 'request failed');
      return send(reply, toShape(new InternalError()));
    });
  },
  { name: 'error-handler' },
);

/**
 * The 404 of a path no route takes. It runs `guards` first (the key check and
 * rate limit), so with API_KEYS set an unknown spelling of a protected path
 * (`/V1/queues`, `/v1/queues/`) is a 401 like any other, and tells nothing.
 */
export const notFound = fp(
  async function notFound(app: FastifyInstance) {
    app.setNotFoundHandler({ preHandler: app.guards }, (request, reply) =>
      send(reply, toShape(new RouteNotFoundError(request.method, request.url.slice(0, 200)))),
    );
  },
  { name: 'not-found', dependencies: ['guards'] },
);

/** The longest path parameter (a job or crawl id, a type) the router takes; Fastify's default. */
export const MAX_PARAM_LENGTH = 100;

/**
 * Errors Fastify's router meets before any route or error handler runs (its
 * `frameworkErrors` option), in the API's shape: a path that is not valid
 * percent-encoding, or a parameter longer than {@link MAX_PARAM_LENGTH}
 * (Fastify's own reply would echo the whole path back).
 */
export function routerError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.raw.url?.split('?')[0] ?? '';
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      return send(reply, { ...toShape(new BadUrlError(JSON.stringify(path.slice(0, 200)))), field: 'params' });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return send(reply, { ...toShape(new ParamTooLongError(MAX_PARAM_LENGTH)), field: 'params' });
    default:
      request.log.error({ err }, 'router error');
      return send(reply, toShape(new InternalError()));
  }
}
