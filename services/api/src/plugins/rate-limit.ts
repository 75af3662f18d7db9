import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { Config } from '@crawlfleet/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';

/** The client a request counts against: its API key (hashed) or else its address. */
function clientKey(request: FastifyRequest): string {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  return bearer ? `key:${createHash('sha256').update(bearer).digest('hex').slice(0, 32)}` : `ip:${request.ip}`;
}

/**
 * With RATE_LIMIT_MAX > 0, each client may make that many /v1 requests per
 * RATE_LIMIT_WINDOW_MS. Counts live in Redis, so the limit holds across API
 * instances; while Redis is away requests are let through (they get 503
 * from the routes anyway).
 */
export async function installRateLimit(app: FastifyInstance, config: Config, redis: Redis): Promise<void> {
  if (config.rateLimitMax <= 0) return;
  await app.register(rateLimit, {
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    redis,
    nameSpace: `${config.queuePrefix}:rate-limit:`,
    skipOnError: true,
    keyGenerator: clientKey,
    allowList: (request) => !request.url.startsWith('/v1/'),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'CF_ERR_RATE_LIMITED',
      message: `Rate limit of ${context.max} requests per ${context.after} reached; retry after the Retry-After seconds`,
    }),
  });
}
