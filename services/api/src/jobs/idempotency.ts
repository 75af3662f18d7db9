import { type JobType } from '@crawlfleet/tasks/kinds';
import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_TENANT, idempotencyKey, type RedisClient } from '@crawlfleet/core';
import { IdempotencyConflictError } from '../errors.js';

/** JSON with object keys sorted, so inputs equal as values have one form. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What an idempotency claim remembers of the inputs: a hash of their canonical JSON. */
function fingerprint(inputs: unknown): string {
  return createHash('sha256').update(canonical(inputs)).digest('hex');
}

/** The job id that claims made before random ids gave a key (tenant `default` only). */
export function legacyJobId(key: string): string {
  return `idem-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** A claim: the inputs' fingerprint and the random ids given to them. */
interface Claim {
  print: string;
  ids: string[];
}

/**
 * Idempotency keys, one space per tenant and type. A key is claimed with
 * SET NX together with random job ids made for it, so of two racing
 * requests exactly one claims it, and the other learns its ids (a replay)
 * or that it sent other inputs (409). The ids are random, never derived from
 * the key: knowing another tenant's key tells nothing of its jobs.
 */
export class IdempotencyKeys {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private claimKey(tenant: string, type: JobType, key: string): string {
    // Tenant default keeps the names claims had before tenants, so they stay valid across the upgrade.
    const space = tenant === DEFAULT_TENANT ? type : `${type}:${tenant}`;
    return idempotencyKey(this.prefix, space, legacyJobId(key));
  }

  /**
   * Claims `key` for `inputs`, with `count` fresh ids.
   * @returns the ids to add the jobs under and whether this request claimed them (false: a replay)
   * @throws IdempotencyConflictError when the key was claimed for other inputs
   */
  async claim(
    tenant: string,
    type: JobType,
    key: string,
    inputs: unknown,
    count: number,
    delayMs = 0,
  ): Promise<{ ids: string[]; claimed: boolean }> {
    const claimKey = this.claimKey(tenant, type, key);
    const print = fingerprint(inputs);
    const ttl = this.ttlSeconds + Math.ceil(delayMs / 1000) + 60;
    const ids = Array.from({ length: count }, () => randomUUID());
    if (await this.redis.set(claimKey, JSON.stringify({ print, ids } satisfies Claim), 'EX', ttl, 'NX'))
      return { ids, claimed: true };
    const stored = await this.redis.get(claimKey);
    if (stored === null) return { ids, claimed: true };
    const claim = this.parse(stored, key, count);
    if (claim.print !== print || claim.ids.length !== count) throw new IdempotencyConflictError(key);
    return { ids: claim.ids, claimed: false };
  }

  /** A stored claim; one from before random ids is the bare fingerprint, with ids derived from the key. */
  private parse(stored: string, key: string, count: number): Claim {
    if (stored.startsWith('{')) return JSON.parse(stored) as Claim;
    const base = legacyJobId(key.replace(/^batch:/, ''));
    const ids = key.startsWith('batch:') ? Array.from({ length: count }, (_, at) => `${base}-${at}`) : [base];
    return { print: stored, ids };
  }
}
