import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { redactRedisUrl, type Config } from './config.js';

/**
 * How a connection is used:
 * - `blocking`: workers and event listeners. BullMQ requires
 *   `maxRetriesPerRequest: null`; commands wait while Redis is away.
 * - `fail-fast`: the API's commands. No offline queue and a command timeout,
 *   so a request fails within seconds while Redis is away instead of hanging.
 */
export type RedisRole = 'blocking' | 'fail-fast';

/** A connection to a single Redis or to a Redis Cluster: every caller takes either. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: REDIS_URL, or REDIS_CLUSTER_NODES (with REDIS_PASSWORD, REDIS_TLS), which wins. */
export type RedisTarget = Pick<Config, 'redisUrl' | 'redisClusterNodes' | 'redisPassword' | 'redisTls'>;

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
 * ioredis Cluster options for a role. A failover (a master gone until its
 * replica takes over, cluster-node-timeout and a vote) is ridden out by
 * retrying on the refreshed slot map: forever for `blocking` (workers), while
 * the API's `fail-fast` commands give up after about a second (503).
 */
export function clusterOptions(role: RedisRole, target: RedisTarget, overrides: RedisOptions = {}): ClusterOptions {
  const node: RedisOptions = {
    ...redisOptions(role),
    // A node connection reconnects only while the cluster still lists it; the cluster itself retries below.
    retryStrategy: undefined,
    ...(target.redisPassword ? { password: target.redisPassword } : {}),
    ...(target.redisTls ? { tls: {} } : {}),
    ...overrides,
  };
  return {
    redisOptions: node,
    clusterRetryStrategy: retryStrategy,
    enableOfflineQueue: role === 'blocking',
    enableReadyCheck: true,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    retryDelayOnMoved: 0,
    maxRedirections: role === 'blocking' ? 1000 : 6,
    slotsRefreshTimeout: 2000,
    // The slot map is asked for again every 5 s too, so a promoted replica is found without a client error.
    slotsRefreshInterval: 5000,
  };
}

/**
 * Opens a Redis connection to `target`: the cluster when REDIS_CLUSTER_NODES is
 * set, else REDIS_URL (`redis://` or `rediss://`, password in the URL).
 * Connection errors are passed to `onError` (the process's first of an
 * outage, then one per 30 s: outageError) instead of being thrown, since ioredis keeps reconnecting on its own. `overrides` adds ioredis
 * options to those of the role.
 */
export function createRedis(
  target: RedisTarget,
  role: RedisRole,
  onError: (err: Error) => void = () => {},
  overrides: RedisOptions = {},
): RedisClient {
  const client: RedisClient = target.redisClusterNodes
    ? new Cluster(target.redisClusterNodes, clusterOptions(role, target, overrides))
    : new Redis(target.redisUrl, { ...redisOptions(role), ...overrides });
  const report = (err: Error) => outageError(err, onError);
  client.on('error', report);
  client.on('node error', report);
  client.on('ready', outageOver);
  return client;
}

/**
 * Redis going away, per process (every connection of it): the first
 * connection error is said at once, then at most one line per
 * OUTAGE_LINE_MS while it stays away, and once when a connection is ready
 * again (onRedisBack). A process has many connections, each retrying every
 * second: without this each said so, a flood of identical lines.
 */
const OUTAGE_LINE_MS = 30_000;
/** A blip shorter than this (a connection cut while Redis stops, back at once) is not announced as back. */
const BLIP_MS = 1000;
/** A new outage this soon after the last line is not announced again (it follows a blip). */
const QUIET_MS = 5000;
const outage = { since: 0, lastLine: 0 };
const backListeners = new Set<(downMs: number) => void>();

function outageError(err: Error, say: (err: Error) => void, now = Date.now()): void {
  if (outage.since === 0) {
    outage.since = now;
    if (now - outage.lastLine < QUIET_MS) return;
    outage.lastLine = now;
    say(err);
  } else if (now - outage.lastLine >= OUTAGE_LINE_MS) {
    outage.lastLine = now;
    say(new Error(`${err.message} (still unreachable after ${Math.round((now - outage.since) / 1000)} s)`));
  }
}

function outageOver(): void {
  if (outage.since === 0) return;
  const downMs = Date.now() - outage.since;
  outage.since = 0;
  if (downMs < BLIP_MS) return;
  for (const listener of backListeners) listener(downMs);
}

/** True while this process's Redis connections fail (other errors of the outage need not be said). */
export function redisAway(): boolean {
  return outage.since !== 0;
}

/** Calls `listener` with how long Redis was away, once when it comes back. @returns what stops it. */
export function onRedisBack(listener: (downMs: number) => void): () => void {
  backListeners.add(listener);
  return () => backListeners.delete(listener);
}

/** True for a connection to a Redis Cluster. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** The Redis processes behind a connection that hold data: the masters of a cluster, else the one Redis. */
export function dataNodes(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/** What a process logs about where its Redis is (no password). */
export function describeRedis(target: RedisTarget): string {
  if (target.redisClusterNodes) {
    return `cluster ${target.redisClusterNodes.map(({ host, port }) => `${host}:${port}`).join(',')}`;
  }
  return redactRedisUrl(target.redisUrl);
}

const slotsOfKeys = new Map<string, number>();

/** The connection to the Redis that holds `key`: on a cluster, the master of its slot now. */
async function nodeOf(client: RedisClient, key: string): Promise<Redis> {
  if (!isCluster(client)) return client;
  let slot = slotsOfKeys.get(key);
  if (slot === undefined) {
    slot = Number(await client.cluster('KEYSLOT', key));
    if (slotsOfKeys.size > 1000) slotsOfKeys.clear();
    slotsOfKeys.set(key, slot);
  }
  const owner = client.slots[slot]?.[0];
  const node = client.nodes('master').find(({ options }) => `${options.host}:${options.port}` === owner);
  if (!node) throw new Error(`no master known for slot ${slot}`);
  return node;
}

/**
 * REDIS_WAIT_REPLICAS: waits until `replicas` replicas have every write this
 * connection sent to the Redis holding `key` (Redis's WAIT), so an
 * acknowledged write survives that master's failover.
 * @returns how many replicas acknowledged within `timeoutMs` (fewer: not confirmed)
 */
export async function waitForReplicas(
  client: RedisClient,
  key: string,
  replicas: number,
  timeoutMs: number,
): Promise<number> {
  const node = await nodeOf(client, key);
  return Number(await node.call('WAIT', replicas, timeoutMs));
}

/**
 * Gives a BullMQ Queue or QueueEvents an `error` listener that drops what it
 * hears: its connection reports Redis errors already (createRedis's
 * `onError`, one line, throttled), and without a listener BullMQ prints every
 * error it re-emits with its whole stack (console.error), ~180 lines a
 * second while Redis is away.
 */
export function quietErrors<T extends { on(event: 'error', listener: (err: Error) => void): unknown }>(emitter: T): T {
  emitter.on('error', () => {});
  return emitter;
}

/**
 * Closes a connection once its commands in flight are answered (QUIT), at most
 * 1 s (Redis may be away), then for good: a command cut off by a disconnect
 * rejects with "Connection is closed." where no one may be listening
 * (BullMQ's own commands: bullmq#3546).
 */
export async function quitGracefully(connection: RedisClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    connection.quit().catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 1000);
    }),
  ]);
  clearTimeout(timer);
  connection.disconnect();
}
