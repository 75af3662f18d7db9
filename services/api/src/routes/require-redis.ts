import { RedisUnavailableError } from '@crawlfleet/core';
import type { FastifyRequest } from 'fastify';
import { RedisMemoryError } from '../errors.js';

/**
 * Answers 503 at once while the API's Redis connection is down, and on the
 * routes that add data (their route config says `submits`) while Redis is
 * over 90% of its maxmemory.
 */
export async function requireRedis(request: FastifyRequest): Promise<void> {
  const { jobQueues } = request.server;
  if (!jobQueues.ready) throw new RedisUnavailableError(`connection is ${jobQueues.redis.status}`);
  if (request.routeOptions.config.submits && jobQueues.memoryPressure) {
    throw new RedisMemoryError(Math.round(jobQueues.memoryUse * 100));
  }
}
