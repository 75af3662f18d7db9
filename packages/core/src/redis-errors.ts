import { RedisUnavailableError } from './errors.js';

const DOWN_PATTERNS = [
  /Stream isn't writeable/i,
  /Connection is closed/i,
  /Command timed out/i,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE/,
  /Reached the max retries per request limit/i,
  /LOADING Redis is loading/i,
  /Connection in subscriber mode/i,
  // A Redis Cluster in a failover: a master gone until its replica takes over.
  /CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY/,
  /Too many Cluster redirections|Cluster isn't ready|None of startup nodes|Failed to refresh slots cache/i,
];

/** True for the errors ioredis raises while Redis cannot be reached. */
export function isRedisDownError(err: unknown): boolean {
  const message = err instanceof Error ? `${err.name} ${err.message} ${(err as { code?: string }).code ?? ''}` : '';
  return DOWN_PATTERNS.some((pattern) => pattern.test(message));
}

/**
 * Runs Redis work with a deadline: a slow or unreachable Redis becomes a 503
 * within `timeoutMs` instead of a hanging request.
 */
export async function withRedis<T>(work: () => Promise<T>, timeoutMs = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailableError(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (err) {
    if (isRedisDownError(err)) throw new RedisUnavailableError((err as Error).message);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
