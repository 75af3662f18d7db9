import { crawlBase } from './crawl-record.js';
import type { RedisClient } from './redis.js';

/*
 * Keys of the fleet's politeness toward hosts (written by crawl workers'
 * HostGate, read by the crawl store and the API's /metrics).
 */

/**
 * A key of one host: its leases, pause, line, …, and a crawl's share of it
 * (`crawl:<id>:leases`, …). The host is the hash tag: the politeness scripts
 * touch several of these at once, which a Redis Cluster allows in one slot only.
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
export async function fleetPoliteness(redis: RedisClient, prefix: string, now = Date.now()) {
  const fleet = fleetKeys(prefix);
  await redis.zremrangebyscore(fleet.hosts, '-inf', now - 3_600_000);
  const [hosts, circuitsOpen] = await Promise.all([
    redis.zrange(fleet.hosts, 0, 999),
    redis.zcount(fleet.circuits, now, '+inf'),
  ]);
  const counts = await Promise.all(
    hosts.map((host) =>
      Promise.all([
        redis.zcount(hostKey(prefix, host, 'leases'), now, '+inf'),
        redis.pttl(hostKey(prefix, host, 'pause')),
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
