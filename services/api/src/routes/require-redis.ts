import { RedisUnavailableError } from '@crawlfleet/core';
import type { FastifyRequest } from 'fastify';

/** Answers 503 at once while the API's Redis connection is down. */
export async function requireRedis(request: FastifyRequest): Promise<void> {
  if (!request.server.jobQueues.ready) {
    throw new RedisUnavailableError(`connection is ${request.server.jobQueues.redis.status}`);
  }
}
