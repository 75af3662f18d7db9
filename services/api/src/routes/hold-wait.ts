import type { FastifyRequest } from 'fastify';

/** Runs a `?wait` request's wait holding one of its client's MAX_WAITS_PER_CLIENT slots (429 past it). */
export async function holdingWait<T>(request: FastifyRequest, work: () => Promise<T>): Promise<T> {
  const release = request.server.waits.take(request.server.apiKeys.caller(request));
  try {
    return await work();
  } finally {
    release();
  }
}
