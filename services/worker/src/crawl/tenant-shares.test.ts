import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { tenantKeys } from '@crawlfleet/core/runtime';
import { TenantShares } from './tenant-shares.js';

/* A tenant's pages are spread by its running crawls over its weight (against the test's redis-server). */

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.disconnect());

describe('TenantShares', () => {
  it('scales by running crawls over the weight, at least one crawl, and forgets an ended crawl', async () => {
    const queuePrefix = `shares-${randomUUID()}`;
    const shares = new TenantShares(redis, { queuePrefix, tenants: { heavy: { weight: 2 } } });
    const running = (tenant: string) => tenantKeys(queuePrefix, tenant).running;
    await redis.zadd(running('light'), 1, 'c1', 2, 'c2', 3, 'c3');
    await redis.zadd(running('heavy'), 1, 'd1', 2, 'd2', 3, 'd3');
    expect(await shares.scale('light')).toBe(3);
    expect(await shares.scale('heavy')).toBe(1.5);
    expect(await shares.scale('idle')).toBe(1);
    await shares.ended('light', 'c3');
    expect(await shares.scale('light')).toBe(2);
  });

  it('reads again at once for a crawl it has not seen, and keeps the share for the crawls it has', async () => {
    const queuePrefix = `shares-${randomUUID()}`;
    const shares = new TenantShares(redis, { queuePrefix, tenants: {} });
    const running = tenantKeys(queuePrefix, 'a').running;
    await redis.zadd(running, 1, 'c1');
    expect(await shares.scale('a', 'c1')).toBe(1);
    await redis.zadd(running, 2, 'c2', 3, 'c3');
    // c1 was seen: its share is reused (FRESH_MS); c3 is new: the tenant's crawls are read again.
    expect(await shares.scale('a', 'c1')).toBe(1);
    expect(await shares.scale('a', 'c3')).toBe(3);
    expect(await shares.scale('a', 'c2')).toBe(3);
  });
});
