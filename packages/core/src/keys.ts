import { hash } from 'node:crypto';

/*
 * Every Redis key and pub/sub channel crawlfleet spells is built here, and
 * nowhere else (test/layout.test.ts holds that; docs/architecture.md, "Redis
 * keys", says what each holds). Keys start with QUEUE_PREFIX. The part in
 * braces is the hash tag: on a Redis Cluster, what one script touches shares
 * a slot (a crawl's keys, a frontier shard's, a tenant's, a queue's), and
 * different crawls, shards, tenants and queues spread over the slots.
 * This module imports nothing of crawlfleet's: every other one may use it.
 */

// Queues (BullMQ's own keys live under these prefixes).

/** BullMQ's key prefix for `queue`: QUEUE_PREFIX and the queue's name as a hash tag. */
export function queueKeyPrefix(prefix: string, queue: string): string {
  return `{${prefix}:${queue}}`;
}

/** A key of `queue` as it was before every key was hash-tagged (read only, to warn about jobs left there). */
export function untaggedQueueKey(prefix: string, queue: string, part: string): string {
  return `${prefix}:${queue}:${part}`;
}

// Channels.

/** Where the API asks workers of a queue to abort an active job; the message is the job id. */
export function cancelChannel(prefix: string, type: string): string {
  return `${prefix}:${type}:cancel`;
}

/** Where a crawl's end is published (by the worker that ended it, or the API that cancelled it): its id. */
export function crawlEndChannel(prefix: string): string {
  return `${prefix}:crawl:ended`;
}

/** Where a new crawl's seed wakes the crawl workers' frontier dispatchers (idle ones look seldom). */
export function frontierWakeChannel(prefix: string): string {
  return `${prefix}:frontier:wake`;
}

/** Where the API tells crawl workers that a whole crawl was cancelled; the message is its id. */
export function crawlCancelChannel(prefix: string): string {
  return `${prefix}:crawl:cancel-crawl`;
}

// Crawls.

/** Where the keys of one crawl start; the crawl's id is the hash tag. */
export function crawlBase(prefix: string, id: string): string {
  return `${prefix}:crawl-run:{${id}}`;
}

/** The keys of one crawl (crawl-scripts.ts says what each holds). */
export function crawlKeys(prefix: string, id: string) {
  const base = crawlBase(prefix, id);
  return {
    meta: `${base}:meta`,
    seen: `${base}:seen`,
    done: `${base}:done`,
    pages: `${base}:pages`,
    expanded: `${base}:expanded`,
    inflight: `${base}:inflight`,
    content: `${base}:content`,
    validators: `${base}:validators`,
    /** Its page deliveries not yet delivered or given up (its end's delivery waits for them). */
    deliveries: `${base}:deliveries`,
  };
}

/** The ids of crawls that were running when last looked at (the sweep's list). */
export function runningCrawlsKey(prefix: string): string {
  return `${prefix}:{crawls}:running`;
}

/** Every tenant's crawls, scored by creation time (the operator's list). */
export function allCrawlsKey(prefix: string): string {
  return `${prefix}:{crawls}:all`;
}

/** The lock of one sweep period (one worker of the fleet sweeps). */
export function sweepLockKey(prefix: string): string {
  return `${prefix}:{crawl-sweep}:lock`;
}

// The crawl frontier.

/** The shard of a host: all its pages and politeness keys are in one slot. */
export function shardOfHost(host: string, shards: number): number {
  if (shards <= 1) return 0;
  return Number.parseInt(hash('sha1', host, 'hex').slice(0, 8), 16) % shards;
}

/** The hash tag and key base of a frontier shard. */
export function frontierBase(prefix: string, shard: number): string {
  return `${prefix}:{frontier-${shard}}`;
}

/** The keys of one lane (`p` plain, `r` rendered) of a frontier shard (frontier.ts says what each holds). */
export function frontierKeys(prefix: string, shard: number, lane: string) {
  const tag = frontierBase(prefix, shard);
  const base = `${tag}:${lane}`;
  return {
    base,
    due: `${base}:due`,
    out: `${base}:out`,
    outExpiry: `${base}:out-exp`,
    begun: `${base}:begun`,
    seq: `${tag}:seq`,
    /** The start of a politeness key of a host of the shard (the scripts add `<host>:<part>`). */
    hostPrefix: `${tag}:host:`,
    crawl: (crawlId: string) => `${base}:c:${crawlId}`,
    crawlHosts: (crawlId: string) => `${base}:c:${crawlId}:hosts`,
    hostNext: (host: string) => `${base}:h:${host}:next`,
  };
}

/** A politeness key of one host (its leases, pause, …), in its frontier shard's slot. */
export function politeKey(prefix: string, host: string, part: string, shards: number): string {
  return `${frontierBase(prefix, shardOfHost(host, shards))}:host:${host}:${part}`;
}

// Hosts outside the frontier, and the fleet.

/** A key of one host outside the crawl frontier (a webhook receiver's leases): the host is the hash tag. */
export function hostKey(prefix: string, host: string, part: string): string {
  return `${prefix}:host:{${host}}:${part}`;
}

/** The fleet's sets: hosts leased lately (by last lease time), open circuits (by when they close). */
export function fleetKeys(prefix: string) {
  return { hosts: `${prefix}:{fleet}:hosts`, circuits: `${prefix}:{fleet}:circuits` };
}

/** An origin's robots.txt, cached for the fleet. */
export function robotsKey(prefix: string, origin: string): string {
  return `${prefix}:robots:{${origin}}`;
}

// Tenants.

/** The keys of one tenant's counters; the tenant is the hash tag. */
export function tenantKeys(prefix: string, tenant: string) {
  const base = `${prefix}:tenant:{${tenant}}`;
  return {
    /** Jobs submitted and not finished (waiting, delayed, prioritized, active). */
    queued: `${base}:queued`,
    /** The tenant's crawls, scored by creation time (its list). */
    crawls: `${base}:crawls`,
    /** Crawls started and maybe still running (the running-crawls quota checks their state). */
    running: `${base}:running`,
    /** Pages fetched on one UTC day (yyyy-mm-dd). */
    pagesOn: (day: string) => `${base}:pages:${day}`,
    /** Bytes of webhook deliveries queued on one UTC day. */
    webhookBytesOn: (day: string) => `${base}:webhook-bytes:${day}`,
    /** Webhook deliveries in flight (a lease each, scored by expiry). */
    webhooksInFlight: `${base}:webhooks-in-flight`,
  };
}

// Jobs, webhooks, schedules, the API.

/** Where a job's webhook is kept beside the job (never in its input). */
export function jobWebhookKey(prefix: string, type: string, id: string): string {
  return `${prefix}:webhook:job:{${type}:${id}}`;
}

/** An idempotency key's claim, in its key space (a job type, and its tenant when not the default one). */
export function idempotencyKey(prefix: string, space: string, key: string): string {
  return `${prefix}:idempotency:{${space}:${key}}`;
}

/** The keys of a crawl schedule (`scoped`: its id with its tenant): its last run's crawl and its last error. */
export function scheduleKeys(prefix: string, scoped: string) {
  const base = `${prefix}:crawl-schedule:{${scoped}}`;
  return { last: `${base}:last`, error: `${base}:error` };
}

/** A tenant's schedules' webhook secrets (kept out of the schedulers' job templates). */
export function webhookSecretsKey(prefix: string, tenant: string): string {
  return `${prefix}:webhook-secrets:{${tenant}}`;
}

/** Where the API's rate limiter keeps its counters (@fastify/rate-limit adds {@link rateLimitCaller}). */
export function rateLimitNamespace(prefix: string): string {
  return `${prefix}:rate-limit:`;
}

/** A caller's part of its rate-limit key: the caller is the hash tag. */
export function rateLimitCaller(caller: string): string {
  return `{${caller}}`;
}
