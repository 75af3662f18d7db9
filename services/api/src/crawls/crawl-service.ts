import { Readable } from 'node:stream';
import {
  CrawlStore,
  Recrawls,
  canonicalUrl,
  HTTP_URL_RULE,
  crawlCancelChannel,
  crawlEndChannel,
  crawlDeliveriesKey,
  crawlKeys,
  crawlOptions,
  laneOf,
  launchCrawl,
  mayAct,
  queueDelivery,
  TenantUsage,
  tenantKeys,
  type CrawlRecord,
  type CrawlRequest,
  type CrawlState,
  type Scope,
} from '@crawlfleet/core';
import { globProblem, normalizeUrl } from '@crawlfleet/tasks';
import { CrawlFinishedError, CrawlNotFoundError, ValidationError } from '../errors.js';
import type { JobQueues } from '../plugins/job-queues.js';
import { withRedis } from '../redis-errors.js';
import type { CrawlEnds } from './crawl-ends.js';
import { checkWebhook } from '../webhook-check.js';

const POLL_MS = 25;
const STREAM_CHUNK = 500;
/** Records with content are up to CRAWL_MAX_STORED_BYTES each: fewer at a time. */
const CONTENT_STREAM_CHUNK = 8;

/** A crawl list's query: by state, a page at a time (the cursor is a creation time), an operator's by tenant. */
export interface CrawlListQuery {
  state?: CrawlState;
  limit: number;
  cursor?: string;
  tenant?: string;
}

/** Crawls read from the list at a time while filling a page by state. */
const LIST_CHUNK = 200;
const LIST_BUDGET = 5000;

/** Starts, reads, waits for, lists and cancels recursive crawls, each its tenant's. */
export class CrawlService {
  readonly store: CrawlStore;
  private readonly recrawls: Recrawls;
  readonly usage: TenantUsage;

  /**
   * @param tenanted keys are configured: quotas apply
   * @param ends crawls' ends as they are published (none: waits read the crawl every POLL_MS)
   */
  constructor(
    private readonly queues: JobQueues,
    private readonly tenanted: boolean,
    readonly ends: CrawlEnds | null = null,
  ) {
    this.store = new CrawlStore(
      queues.redis,
      queues.config.queuePrefix,
      queues.config.resultTtlSeconds,
      queues.config.crawlQueueShards,
    );
    this.recrawls = new Recrawls(queues.redis, queues.config.queuePrefix);
    this.usage = new TenantUsage(queues.redis, queues.config);
  }

  /** Creates a crawl of `scope`'s tenant and queues its seed; a recrawl's old crawl must be the tenant's too. */
  async start(body: CrawlRequest, scope: Scope): Promise<string> {
    const { seed, options, webhook } = this.prepare(await this.withRecrawled(body, scope));
    if (this.tenanted) await withRedis(() => this.usage.checkRunningCrawls(scope.tenant));
    const { queues } = this;
    const launch = { seed, options, webhook, tenant: scope.tenant };
    const id = await withRedis(() =>
      launchCrawl({ store: this.store, pages: queues.pages, config: queues.config }, launch),
    );
    try {
      // REDIS_WAIT_REPLICAS: the crawl and its seed are on replicas before the crawl is acknowledged.
      const meta = crawlKeys(queues.config.queuePrefix, id).meta;
      const seedKey = queues.pages.frontier.dueKey(new URL(seed).host, laneOf(options.render));
      await withRedis(() => queues.replicated(meta, seedKey));
    } catch (err) {
      await this.store.discard(id, scope.tenant).catch(() => {});
      throw err;
    }
    return id;
  }

  /**
   * The seed, options and webhook of a crawl request, or a ValidationError
   * naming the field under `at` (a schedule's crawl is at body.crawl).
   */
  prepare(request: CrawlRequest, at = 'body') {
    if (request.url === undefined) throw new ValidationError(`${at}.url`, 'is required (or recrawlOf)');
    const normalized = normalizeUrl(request.url);
    if (!normalized) throw new ValidationError(`${at}.url`, HTTP_URL_RULE);
    const { url: _url, webhook, ...rest } = request;
    const options = crawlOptions(rest);
    const seed = canonicalUrl(normalized, options);
    this.checkLimits(options, at);
    checkWebhook(webhook, this.queues.config, at);
    return { seed, options, webhook };
  }

  /** A recrawl's request: the old crawl's seed and options, overridden by what the request gives. */
  private async withRecrawled(request: CrawlRequest, scope: Scope): Promise<CrawlRequest> {
    if (request.recrawlOf === undefined) return request;
    const old = await this.get(request.recrawlOf, scope);
    const given = Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined));
    const { recrawlOf: _, maxConcurrencyPerHost, maxDurationMs, maxBytes, delayMs, ...options } = old.options;
    const defaults = {
      ...options,
      ...(maxConcurrencyPerHost === null ? {} : { maxConcurrencyPerHost }),
      ...(maxDurationMs === null ? {} : { maxDurationMs }),
      ...(maxBytes === null ? {} : { maxBytes }),
      ...(delayMs === null ? {} : { delayMs }),
    };
    return { url: old.seed, ...defaults, ...given };
  }

  /** What the schema cannot say: limits from the configuration, globs that do not compile. */
  private checkLimits(options: ReturnType<typeof crawlOptions>, at: string): void {
    const maxDelay = this.queues.config.crawlMaxDelayMs;
    if (options.delayMs !== null && options.delayMs > maxDelay) {
      throw new ValidationError(`${at}.delayMs`, `must be <= ${maxDelay} (CRAWL_MAX_DELAY_MS)`);
    }
    for (const list of ['include', 'exclude'] as const) {
      for (const [index, glob] of options[list].entries()) {
        // A glob matches the whole path: `docs/**` would match nothing, and crawl only the seed without a word.
        if (!glob.startsWith('/') && !glob.startsWith('*'))
          throw new ValidationError(
            `${at}.${list}[${index}]`,
            `must start with / or * (it matches the whole path): ${glob}`,
          );
        const problem = globProblem(glob);
        if (problem)
          throw new ValidationError(`${at}.${list}[${index}]`, `is not a glob crawlfleet can match: ${problem}`);
      }
    }
  }

  /** The crawl, if `scope` may see it; another tenant's is answered as a missing one. */
  async get(id: string, scope: Scope): Promise<CrawlRecord> {
    const crawl = await withRedis(() => this.store.get(id));
    if (!crawl || !mayAct(scope, crawl.tenant)) throw new CrawlNotFoundError(id);
    const { recrawlOf } = crawl.options;
    // Counted once the recrawl is over: the old crawl's pages this one did not reach.
    if (recrawlOf && crawl.state === 'completed' && crawl.stats.removed === 0)
      crawl.stats.removed = await withRedis(() => this.recrawls.countRemoved(id, recrawlOf));
    return crawl;
  }

  /** The crawl once it is no longer running, or as it is after `ms`. */
  async waitFor(id: string, ms: number, scope: Scope): Promise<CrawlRecord> {
    const deadline = Date.now() + ms;
    let crawl = await this.get(id, scope);
    while (crawl.state === 'running' && Date.now() < deadline) {
      // Woken by the end's message; read again each second anyway (a message missed while Redis was away).
      const ms = Math.min(this.ends ? 1000 : POLL_MS, deadline - Date.now());
      await (this.ends ? this.ends.wait(id, ms) : new Promise((resolve) => setTimeout(resolve, ms)));
      crawl = await this.get(id, scope);
    }
    return crawl;
  }

  /** One page of page records, from index `start`. */
  async pages(id: string, start: number, limit: number, scope: Scope) {
    await this.get(id, scope);
    const raw = await withRedis(() => this.store.pages(id, start, limit));
    const items = raw.map((record) => JSON.parse(record) as unknown);
    return { items, next: items.length === limit ? String(start + items.length) : null };
  }

  /** Every page record as NDJSON, read from Redis a chunk at a time. */
  async stream(id: string, scope: Scope): Promise<Readable> {
    const crawl = await this.get(id, scope);
    const { store, recrawls } = this;
    const size = crawl.options.formats?.length ? CONTENT_STREAM_CHUNK : STREAM_CHUNK;
    // Readable.from reads the next chunk when the client has taken the last: one chunk in memory.
    async function* lines() {
      for (let start = 0; ; start += size) {
        const chunk = await withRedis(() => store.pages(id, start, size));
        if (chunk.length) yield `${chunk.join('\n')}\n`;
        if (chunk.length < size) break;
      }
      // A recrawl lists last the old crawl's pages it did not reach.
      if (!crawl.options.recrawlOf || crawl.state !== 'completed') return;
      for await (const urls of recrawls.removed(id, crawl.options.recrawlOf))
        yield urls.map((url) => `${JSON.stringify({ url, change: 'removed' })}\n`).join('');
    }
    return Readable.from(lines());
  }

  /**
   * Cancels a running crawl: marks it (so no worker fetches for it again),
   * aborts in-flight fetches on every worker, removes its queued pages.
   */
  async cancel(id: string, scope: Scope): Promise<CrawlRecord> {
    // Read first: another tenant's crawl is not cancelled, and is answered as a missing one.
    await this.get(id, scope);
    const before = await withRedis(() => this.store.cancel(id));
    if (!before) throw new CrawlNotFoundError(id);
    if (before === 'completed') throw new CrawlFinishedError(id, before);
    await withRedis(() => this.queues.redis.publish(crawlCancelChannel(this.queues.config.queuePrefix), id));
    await withRedis(() => this.queues.redis.publish(crawlEndChannel(this.queues.config.queuePrefix), id));
    // Read once: removing the queued page jobs changes nothing in the record.
    const crawl = await this.get(id, scope);
    // No longer one of its tenant's running crawls (quotas, fair shares).
    await withRedis(() => this.queues.redis.zrem(tenantKeys(this.queues.config.queuePrefix, crawl.tenant).running, id));
    await withRedis(() => this.queues.pages.remove(id, crawl.options.render), 10_000);
    const hook = await withRedis(() => this.store.webhook(id));
    const target = { queue: this.queues.webhooks, redis: this.queues.redis };
    const subject = { id, type: 'crawl', data: crawl };
    await withRedis(() =>
      queueDelivery(target, hook?.spec ?? null, `${id}-end`, 'cancelled', subject, {
        ttlSeconds: this.queues.config.resultTtlSeconds,
        after: crawlDeliveriesKey(this.queues.config.queuePrefix, id),
        specAt: this.store.webhookAt(id),
        tenant: crawl.tenant,
      }),
    );
    return crawl;
  }

  /**
   * A page of crawls, newest first: `scope`'s tenant's, or for an operator
   * every tenant's (or `query.tenant`'s). Reads at most LIST_BUDGET crawls a
   * request, so a page may hold fewer than `limit` with a cursor to go on.
   */
  async list(scope: Scope, query: CrawlListQuery): Promise<{ items: CrawlRecord[]; next: string | null }> {
    const tenant = scope.operator ? (query.tenant ?? null) : scope.tenant;
    let before = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : Number(query.cursor);
    if (!/^\d{1,16}$/.test(query.cursor ?? '0'))
      throw new ValidationError('querystring.cursor', 'is not a cursor this API gave out');
    const items: CrawlRecord[] = [];
    for (let read = 0; read < LIST_BUDGET; read += LIST_CHUNK) {
      const ids = await withRedis(() => this.store.listIds(tenant, before, LIST_CHUNK));
      const crawls = await withRedis(() => Promise.all(ids.map(({ id }) => this.store.get(id))));
      for (const [index, crawl] of crawls.entries()) {
        before = ids[index].at;
        if (crawl && (!query.state || crawl.state === query.state)) items.push(crawl);
        if (items.length === query.limit) return { items, next: String(before) };
      }
      if (ids.length < LIST_CHUNK) return { items, next: null };
    }
    return { items, next: String(before) };
  }
}
