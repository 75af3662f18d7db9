import { Readable } from 'node:stream';
import {
  canonicalUrl,
  HTTP_URL_RULE,
  crawlCancelChannel,
  crawlEndChannel,
  crawlDeliveriesKey,
  crawlKeys,
  crawlOptions,
  mayAct,
  queueDelivery,
  CrawlFinishedError,
  CrawlNotFoundError,
  TenantUsage,
  tenantKeys,
  ValidationError,
  type Config,
  type CrawlRecord,
  type CrawlRequest,
  type CrawlState,
  type DeliveryQueue,
  type RedisClient,
  type Scope,
  type WebhookSpec,
} from '@crawlfleet/core/runtime';
import { checkWebhook, globProblem, normalizeUrl } from '@crawlfleet/tasks';
import { CrawlEnds, type CrawlLogger } from './crawl-ends.js';
import { launchCrawl } from './launch.js';
import { CrawlStore } from './crawl-store.js';
import { Recrawls } from './recrawls.js';
import { laneOf, type PageQueues } from './page-jobs.js';

/** What the crawls' door works with: the caller's Redis connection, queues and configuration. */
export interface CrawlDeps {
  redis: RedisClient;
  config: Config;
  pages: PageQueues;
  /** Where a cancelled crawl's webhook delivery is queued. */
  webhooks: DeliveryQueue;
  /** Resolves once `keys` are on replicas (REDIS_WAIT_REPLICAS); absent: not waited for. */
  replicated?: (...keys: string[]) => Promise<void>;
  /** Runs each Redis step (the API's: a deadline, then a 503); absent: as it is. */
  guard?: <T>(work: () => Promise<T>, timeoutMs?: number) => Promise<T>;
  /** Where the end subscriber's lost connection is told. */
  logger?: CrawlLogger;
}

/** How a crawl is started, beyond its request. */
export interface StartOptions {
  /** Hold it to its tenant's running-crawls quota (default: when the door was made with quotas). */
  quotas?: boolean;
  /**
   * Recrawl this crawl with the request's own options (a schedule's
   * incremental run), unlike `request.recrawlOf`, whose crawl's options fill
   * in what the request leaves out.
   */
  recrawlOf?: string;
  /** The webhook with its secrets, where the request holds them hidden (a schedule's). */
  webhook?: WebhookSpec;
}

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

/**
 * A crawl's one door: `start`, `get`, `watch` and `cancel` (with `list`,
 * `pages` and `stream` to read one), each crawl its tenant's. The API's
 * routes, schedules' runs (on the crawl worker) and with the API the CLI
 * come through here; a crawl's end is pushed (`watch` never polls for it).
 */
export class Crawls {
  readonly store: CrawlStore;
  private readonly recrawls: Recrawls;
  readonly usage: TenantUsage;
  private readonly guard: <T>(work: () => Promise<T>, timeoutMs?: number) => Promise<T>;
  /** Subscribed on the first watch: schedules' runs never need one. */
  private ends: CrawlEnds | null = null;
  /** Closed: no subscription is made again (a request still in flight waits out its time instead). */
  private closed = false;

  /** @param quotas keys are configured: tenants' quotas apply to what starts */
  constructor(
    private readonly deps: CrawlDeps,
    private readonly quotas: boolean,
  ) {
    const { redis, config } = deps;
    this.store = new CrawlStore(redis, config.queuePrefix, config.resultTtlSeconds, config.crawlQueueShards);
    this.recrawls = new Recrawls(redis, config.queuePrefix);
    this.usage = new TenantUsage(redis, config);
    this.guard = deps.guard ?? ((work) => work());
  }

  /**
   * Creates a crawl of `scope`'s tenant and queues its seed; a recrawl's old
   * crawl must be the tenant's too. A bad request is a ValidationError naming
   * the field under `at`. @returns the new crawl's id
   */
  async start(request: CrawlRequest, scope: Scope, how: StartOptions = {}, at = 'body'): Promise<string> {
    const withRedis = this.guard;
    const prepared = this.prepare(await this.withRecrawled(request, scope), at);
    const { seed, options } = prepared;
    const webhook = how.webhook ?? prepared.webhook;
    if (how.recrawlOf !== undefined) options.recrawlOf = how.recrawlOf;
    if (how.quotas ?? this.quotas) await withRedis(() => this.usage.checkRunningCrawls(scope.tenant));
    const { pages, config, replicated } = this.deps;
    const launch = { seed, options, webhook, tenant: scope.tenant };
    const id = await withRedis(() => launchCrawl({ store: this.store, pages, config }, launch));
    if (!replicated) return id;
    try {
      // REDIS_WAIT_REPLICAS: the crawl and its seed are on replicas before the crawl is acknowledged.
      const meta = crawlKeys(config.queuePrefix, id).meta;
      const seedKey = pages.frontier.dueKey(new URL(seed).host, laneOf(options.render));
      await withRedis(() => replicated(meta, seedKey));
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
    checkWebhook(webhook, this.deps.config, at);
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
    const maxDelay = this.deps.config.crawlMaxDelayMs;
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
    const withRedis = this.guard;
    const crawl = await withRedis(() => this.store.get(id));
    if (!crawl || !mayAct(scope, crawl.tenant)) throw new CrawlNotFoundError(id);
    const { recrawlOf } = crawl.options;
    // Counted once the recrawl is over: the old crawl's pages this one did not reach.
    if (recrawlOf && crawl.state === 'completed' && crawl.stats.removed === 0)
      crawl.stats.removed = await withRedis(() => this.recrawls.countRemoved(id, recrawlOf));
    return crawl;
  }

  /** The crawl once it is no longer running, or as it is after `ms`: its end is pushed, not polled for. */
  async watch(id: string, ms: number, scope: Scope): Promise<CrawlRecord> {
    const deadline = Date.now() + ms;
    let crawl = await this.get(id, scope);
    while (crawl.state === 'running' && Date.now() < deadline) {
      // Woken by the end's message; read again each second anyway (a message missed while Redis was away).
      await this.ended(id, Math.min(1000, deadline - Date.now()));
      crawl = await this.get(id, scope);
    }
    return crawl;
  }

  /** Resolves when crawl `id` ends (or ended just before), or after `ms`, whichever is first. */
  ended(id: string, ms: number): Promise<void> {
    if (this.closed) return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
    this.ends ??= new CrawlEnds(this.deps.config, this.deps.logger ?? { warn: () => {} });
    return this.ends.wait(id, ms);
  }

  /** Lets go of the end subscriber, waking every watch; later watches wait out their time, unsubscribed. */
  close(): void {
    this.closed = true;
    this.ends?.close();
    this.ends = null;
  }

  /** One page of page records, from index `start`. */
  async pages(id: string, start: number, limit: number, scope: Scope) {
    const withRedis = this.guard;
    await this.get(id, scope);
    const raw = await withRedis(() => this.store.pages(id, start, limit));
    const items = raw.map((record) => JSON.parse(record) as unknown);
    return { items, next: items.length === limit ? String(start + items.length) : null };
  }

  /** Every page record as NDJSON, read from Redis a chunk at a time. */
  async stream(id: string, scope: Scope): Promise<Readable> {
    const crawl = await this.get(id, scope);
    const { store, recrawls, guard: withRedis } = this;
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
    const withRedis = this.guard;
    const { redis, config, pages, webhooks } = this.deps;
    // Read first: another tenant's crawl is not cancelled, and is answered as a missing one.
    const seen = await this.get(id, scope);
    const before = await withRedis(() => this.store.cancel(id));
    if (!before) throw new CrawlNotFoundError(id);
    // Named as reads name it: a crawl that ended with nothing fetched is `failed` (stored as completed).
    if (before === 'completed') throw new CrawlFinishedError(id, seen.state === 'running' ? before : seen.state);
    await withRedis(() => redis.publish(crawlCancelChannel(config.queuePrefix), id));
    await withRedis(() => redis.publish(crawlEndChannel(config.queuePrefix), id));
    // Read once: removing the queued page jobs changes nothing in the record.
    const crawl = await this.get(id, scope);
    // No longer one of its tenant's running crawls (quotas, fair shares).
    await withRedis(() => redis.zrem(tenantKeys(config.queuePrefix, crawl.tenant).running, id));
    await withRedis(() => pages.remove(id, crawl.options.render), 10_000);
    const hook = await withRedis(() => this.store.webhook(id));
    const target = { queue: webhooks, redis };
    const subject = { id, type: 'crawl', data: crawl };
    await withRedis(() =>
      queueDelivery(target, hook?.spec ?? null, `${id}-end`, 'cancelled', subject, {
        ttlSeconds: config.resultTtlSeconds,
        after: crawlDeliveriesKey(config.queuePrefix, id),
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
    const withRedis = this.guard;
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
