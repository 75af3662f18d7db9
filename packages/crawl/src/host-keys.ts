import { fleetKeys, politeKey, type RedisClient } from '@crawlfleet/core/runtime';

/*
 * The fleet's politeness toward hosts (written by crawl workers' HostGate,
 * read by the crawl store and the API's /metrics); its keys are keys.ts's.
 */

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
