import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { isRedisDownError } from '../redis-errors.js';
import {
  BodyTooLargeError,
  InternalError,
  InvalidJsonError,
  RouteNotFoundError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';
import { RedisUnavailableError } from '@crawlfleet/core';

type Shaped = { statusCode: number; code: string; message: string; field?: string };

/** Fastify's own request errors, in the API's codes and words. */
function fromFastify(err: FastifyError & { field?: string }, bodyLimit: number, contentType: string): Shaped | null {
  if (err.validation) {
    const shaped = new ValidationError(err.message);
    return { statusCode: 400, code: shaped.code, message: shaped.message, ...(err.field ? { field: err.field } : {}) };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return toShape(new InvalidJsonError(err.message));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { ...toShape(new ValidationError('body is required: send a JSON object')), field: 'body' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return toShape(new BodyTooLargeError(bodyLimit));
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
  });
}

/**
 * One error handler: every error leaves as `{statusCode, error, code, message}`;
 * 4xx say what to fix, Redis trouble is a 503, anything else is a logged 500
 * whose details stay in the log.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & { field?: string }, request, reply) => {
    const known = fromFastify(err, app.initialConfig.bodyLimit ?? 1048576, request.headers['content-type'] ?? '');
    if (known) return send(reply, known);
    if (err.code === 'CF_ERR_REDIS_UNAVAILABLE' || isRedisDownError(err)) {
      const unavailable = err.code === 'CF_ERR_REDIS_UNAVAILABLE' ? err : new RedisUnavailableError(err.message);
      request.log.warn({ err: unavailable.message }, 'Redis unavailable');
      return send(reply, toShape(unavailable));
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return send(reply, { statusCode: status, code: err.code ?? 'CF_ERR_BAD_REQUEST', message: err.message, ...(err.field ? { field: err.field } : {}) });
    }
    request.log.error({ err }, 'request failed');
    return send(reply, toShape(new InternalError()));
  });
  app.setNotFoundHandler((request, reply) => send(reply, toShape(new RouteNotFoundError(request.method, request.url))));
}
