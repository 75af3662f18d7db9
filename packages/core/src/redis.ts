import { Redis, type RedisOptions } from 'ioredis';

/**
 * How a connection is used:
 * - `blocking`: workers and event listeners. BullMQ requires
 *   `maxRetriesPerRequest: null`; commands wait while Redis is away.
 * - `fail-fast`: the API's commands. No offline queue and a command timeout,
 *   so a request fails within seconds while Redis is away instead of hanging.
 */
export type RedisRole = 'blocking' | 'fail-fast';

/** Reconnect forever, backing off to at most one try a second. */
function retryStrategy(times: number): number {
  return Math.min(50 * times, 1000);
}

/** ioredis options for a connection of the given role. */
export function redisOptions(role: RedisRole): RedisOptions {
  const common: RedisOptions = {
    retryStrategy,
    connectTimeout: 3000,
    keepAlive: 5000,
    lazyConnect: false,
  };
  if (role === 'blocking') {
    return { ...common, maxRetriesPerRequest: null, enableReadyCheck: true };
  }
  return {
    ...common,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    commandTimeout: 3000,
    autoResendUnfulfilledCommands: false,
  };
}

/**
 * Opens a Redis connection for `url` (`redis://` or `rediss://`, password in
 * the URL). Connection errors are passed to `onError` (once per outage) instead
 * of being thrown, since ioredis keeps reconnecting on its own. `overrides`
 * adds ioredis options to those of the role.
 */
export function createRedis(
  url: string,
  role: RedisRole,
  onError: (err: Error) => void = () => {},
  overrides: RedisOptions = {},
): Redis {
  const client = new Redis(url, { ...redisOptions(role), ...overrides });
  let reported = false;
  client.on('error', (err: Error) => {
    if (!reported) onError(err);
    reported = true;
  });
  client.on('ready', () => {
    reported = false;
  });
  return client;
}
