import { randomUUID } from 'node:crypto';
import { hostKey, luaScript, tenantKeys, type RedisClient } from '@crawlfleet/core/runtime';

type Leasing = RedisClient & {
  cfTakeLease(key: string, now: number, expiry: number, cap: number, token: string): Promise<number>;
};

/** Two leases a delivery holds while it is sent: one of its receiver's host, one of its tenant's. */
export interface DeliveryLease {
  release(): Promise<void>;
}

/**
 * Leases of webhook deliveries: at most WEBHOOK_HOST_CONCURRENCY in flight to
 * one receiver host and TENANT_MAX_WEBHOOKS_IN_FLIGHT (never more than half
 * of this worker's slots) of one tenant, fleet-wide. A delivery that gets none
 * waits in the queue, not in a slot: a receiver that never answers holds only
 * its own host's leases and its tenant's share. Leases expire with the
 * delivery's deadline, so a killed worker's come back by themselves.
 */
export class DeliveryLeases {
  private readonly redis: Leasing;

  constructor(
    redis: RedisClient,
    private readonly options: {
      prefix: string;
      hostCap: number;
      tenantCap: number;
      /** How long a delivery may take: its lease lives that long and 5 s more. */
      deadlineMs: number;
    },
  ) {
    this.redis = redis as Leasing;
    if (typeof this.redis.cfTakeLease !== 'function')
      redis.defineCommand('cfTakeLease', { numberOfKeys: 1, lua: luaScript('lease-take') });
  }

  /** @returns the lease, or the ms to wait before trying again */
  async take(url: string, tenant: string, now = Date.now()): Promise<DeliveryLease | { waitMs: number }> {
    const token = randomUUID();
    const expiry = now + this.options.deadlineMs + 5000;
    const hostLeases = hostKey(this.options.prefix, new URL(url).host, 'webhook-leases');
    const tenantLeases = tenantKeys(this.options.prefix, tenant).webhooksInFlight;
    const hostWait = await this.redis.cfTakeLease(hostLeases, now, expiry, this.options.hostCap, token);
    if (hostWait > 0) return { waitMs: hostWait };
    const tenantWait = await this.redis.cfTakeLease(tenantLeases, now, expiry, this.options.tenantCap, token);
    if (tenantWait > 0) {
      await this.redis.zrem(hostLeases, token);
      return { waitMs: tenantWait };
    }
    return {
      release: async () => {
        await Promise.all([this.redis.zrem(hostLeases, token), this.redis.zrem(tenantLeases, token)]);
      },
    };
  }
}
