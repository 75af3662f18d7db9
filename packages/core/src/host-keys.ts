import { crawlBase } from './crawl-record.js';
import { politeKey } from './frontier.js';
import type { RedisClient } from './redis.js';

/*
 * Keys of the fleet's politeness toward hosts (written by crawl workers'
 * HostGate, read by the crawl store and the API's /metrics).
 */

/**
 * A key of one host outside the crawl frontier (a webhook receiver's
 * leases): the host is the hash tag. A crawled host's politeness keys are
 * frontier.ts's politeKey (in its frontier shard's slot).
 */
export function hostKey(prefix: string, host: string, part: string): string {
  return `${prefix}:host:{${host}}:${part}`;
}

/** The fleet's sets: hosts leased lately (by last lease time), open circuits (by when they close). */
export function fleetKeys(prefix: string) {
  return { hosts: `${prefix}:{fleet}:hosts`, circuits: `${prefix}:{fleet}:circuits` };
}

/** A crawl's pages waiting in a host's line (by when they stop counting). */
export function hostWaitingKey(prefix: string, crawlId: string): string {
  return `${crawlBase(prefix, crawlId)}:waiting-for-host`;
}

/** The fleet's politeness now: hosts leased in the last hour, leases in use, hosts paused, circuits open. */
export async function fleetPoliteness(redis: RedisClient, prefix: string, shards: number, now = Date.now()) {
  const fleet = fleetKeys(prefix);
  await redis.zremrangebyscore(fleet.hosts, '-inf', now - 3_600_000);
  const [hosts, circuitsOpen] = await Promise.all([
    redis.zrange(fleet.hosts, 0, 999),
    redis.zcount(fleet.circuits, now, '+inf'),
  ]);
  const counts = await Promise.all(
    hosts.map((host) =>
      Promise.all([
        redis.zcount(politeKey(prefix, host, 'leases', shards), now, '+inf'),
        redis.pttl(politeKey(prefix, host, 'pause', shards)),
      ]),
    ),
  );
  return {
    hosts: hosts.length,
    leases: counts.reduce((sum, [leases]) => sum + leases, 0),
    paused: counts.filter(([, pause]) => pause > 0).length,
    circuitsOpen,
  };
}
