import { HostUnavailableError, RobotsDisallowedError, RobotsUnavailableError } from '@crawlfleet/core/errors';
import {
  DEFAULT_TENANT,
  fetchedPageRecord,
  unfetchedPageRecord,
  type MemoryWatch,
  type PageQueues,
  type TenantUsage,
} from '@crawlfleet/core/runtime';
import type {
  ChildLink,
  Config,
  CrawlInput,
  CrawlOptions,
  CrawlPageData,
  CrawlResult,
  CrawlStore,
  PageRecord,
  Recrawls,
} from '@crawlfleet/core';
import {
  CrawlScopeFilter,
  isRetryable,
  type RobotsRules,
  type SafeFetcher,
  type SitemapLimits,
} from '@crawlfleet/tasks';
import { DelayedError, type Job } from 'bullmq';
import { describeFailure } from '../task-failure.js';
import { toBullmqError } from '../to-bullmq-error.js';
import type { CrawlCancels } from './crawl-cancels.js';
import type { CrawlHooks } from './crawl-hooks.js';
import { changeOf, conditionalHeaders, markUnfetched, unchangedResult, type Previous } from './recrawl.js';
import type { HostGate } from './host-gate.js';

import type { RobotsCache } from './robots-cache.js';
import type { TenantShares } from './tenant-shares.js';
import { HopMustWaitError, hopHandler } from './hops.js';
import { sitemapLinks } from './sitemap-files.js';

/** What a page processor keeps of a crawl it works for. */
export interface CrawlContext {
  options: CrawlOptions;
  /** Whose crawl: its pages count against the tenant's TENANT_MAX_PAGES_PER_DAY. */
  tenant: string;
  scope: CrawlScopeFilter;
  /** When the crawl started (ms), for maxDurationMs. */
  startedAt: number;
}

/** What a page job returns (its record is in the crawl's page list). */
export interface PageOutcome {
  url: string;
  outcome: 'fetched' | 'failed' | 'skipped' | 'requeued' | 'stopped';
}

/** What the page processor works with. */
export interface PageProcessorDeps {
  config: Config;
  store: CrawlStore;
  pages: PageQueues;
  fetcher: SafeFetcher;
  robots: RobotsCache;
  cancels: CrawlCancels;
  sitemapLimits: SitemapLimits;
  hooks: CrawlHooks;
  gate: HostGate;
  recrawls: Recrawls;
  /** Redis's memory use: past 90% no page is claimed (it waits in the queue). */
  memory: MemoryWatch;
  /** Tenants' pages per day. */
  usage: TenantUsage;
  /** Tenants' fair shares of the fleet. */
  shares: TenantShares;
  /** Fetches a page: the safe fetch (crawl workers), or a render in headless Chromium (render workers). */
  fetchPage: PageFetch;
}

/** How a worker gets one page: its result, calling `fetched` once the response is in (the lease goes back). */
export type PageFetch = (
  input: CrawlInput,
  signal: AbortSignal | undefined,
  fetched: () => void,
  headers: Record<string, string>,
  onRedirect?: (next: string) => Promise<void>,
) => Promise<CrawlResult>;

/** Pauses (429/503) one page waits out before it fails. */
const MAX_HOST_WAITS = 20;
/** How long work waits while Redis is short of memory, before it looks again. */
export const MEMORY_WAIT_MS = 1000;

/**
 * Runs one page of a recursive crawl: robots.txt and politeness first, then
 * the safe fetch, then one atomic store call that records the page and claims
 * its new in-scope links, which are queued as page jobs of their own.
 */
export class PageProcessor {
  private readonly contexts = new Map<string, CrawlContext>();

  constructor(private readonly deps: PageProcessorDeps) {}

  private async context(crawlId: string): Promise<CrawlContext | null> {
    const known = this.contexts.get(crawlId);
    if (known) return known;
    const crawl = await this.deps.store.get(crawlId);
    if (!crawl) return null;
    const context = {
      options: crawl.options,
      tenant: crawl.tenant,
      scope: new CrawlScopeFilter(crawl.seed, crawl.options),
      startedAt: Date.parse(crawl.createdAt),
    };
    this.contexts.set(crawlId, context);
    if (this.contexts.size > 1000) this.contexts.delete(this.contexts.keys().next().value!);
    return context;
  }

  async process(
    job: Job<CrawlPageData>,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<PageOutcome> {
    const { crawlId, url, depth } = job.data;
    const { store, config } = this.deps;
    if (this.deps.memory.pressure) {
      // Redis is short of memory: claim nothing, wait in the queue (nothing fails, nothing is lost).
      await job.moveToDelayed(Date.now() + MEMORY_WAIT_MS, token);
      throw new DelayedError();
    }
    // Both reads leave in one write (the store's connection auto-pipelines).
    const [{ state, overBudget }, claimed] = await Promise.all([
      store.runState(crawlId),
      store.claimedBy(crawlId, url),
    ]);
    if (state !== 'running') return { url, outcome: 'stopped' };
    const context = await this.context(crawlId);
    if (!context) return { url, outcome: 'stopped' };
    const { render } = context.options;
    // Finished before but not acknowledged (the worker died): queue the same children again.
    if (claimed) {
      await this.deps.pages.add(crawlId, claimed, depth + 1, render);
      return { url, outcome: 'requeued' };
    }
    const { maxDurationMs } = context.options;
    if (overBudget || (maxDurationMs && Date.now() - context.startedAt >= maxDurationMs)) {
      // Past a budget the queued pages are dropped: no fetch, no record (FINISH_PAGE sets the stopReason).
      await this.finish(crawlId, url, unfetchedPageRecord(url, depth, 'dropped'), 'dropped', [], { render });
      return { url, outcome: 'stopped' };
    }
    if (!(await this.deps.usage.takePage(context.tenant))) {
      // The tenant's pages for today are spent: the crawl stops claiming and ends with stopReason quota.
      await store.stop(crawlId, 'quota');
      await this.finish(crawlId, url, unfetchedPageRecord(url, depth, 'dropped'), 'dropped', [], { render });
      return { url, outcome: 'stopped' };
    }
    const { recrawlOf } = context.options;
    const previous: Previous = recrawlOf ? await this.deps.recrawls.validatorsOf(recrawlOf, url) : undefined;
    const unfetched = (error: string) => markUnfetched(unfetchedPageRecord(url, depth, error), previous);
    const rules = context.options.respectRobots ? await this.deps.robots.rulesFor(url) : null;
    if (rules && !rules.isAllowed(url)) {
      const refusal =
        rules.unavailable === null ? new RobotsDisallowedError() : new RobotsUnavailableError(rules.unavailable);
      const error = describeFailure(refusal).message;
      // A failure with its record (CF_ERR_ROBOTS_DISALLOWED): a crawl whose seed robots.txt refuses fails.
      await this.finish(crawlId, url, unfetched(error), 'failed', [], { render });
      return { url, outcome: 'failed' };
    }
    // The crawl's delayMs spaces this crawl; Crawl-delay spaces every crawl of the host.
    const crawlDelayMs = Math.min(context.options.delayMs ?? 0, config.crawlMaxDelayMs);
    const hostDelayMs = Math.min(rules?.crawlDelayMs ?? 0, config.crawlMaxDelayMs);
    if (crawlDelayMs > 0 || hostDelayMs > 0) {
      const wait = await store.reserveSlots(crawlId, new URL(url).host, crawlDelayMs, hostDelayMs);
      if (wait > 0) {
        // Wait in the queue, not in one of this worker's slots.
        await job.moveToDelayed(Date.now() + wait, token);
        throw new DelayedError();
      }
    }
    // At most CRAWL_HOST_CONCURRENCY requests in flight to the host, fleet-wide; none while it is paused.
    // A page that waited for a redirect hop's host resumes at that hop (each hop answers for itself).
    const from = job.data.resumeAt ?? url;
    const crawlCap = context.options.maxConcurrencyPerHost ?? null;
    const admission = await this.deps.gate.acquire(from, crawlId, crawlCap, String(job.id));
    if ('open' in admission) {
      const error = describeFailure(new HostUnavailableError(new URL(url).host, config.crawlHostFailureLimit)).message;
      await this.finish(crawlId, url, unfetched(error), 'failed', [], { render });
      return { url, outcome: 'failed' };
    }
    if (!('lease' in admission)) {
      // Wait in the queue, not in a slot, about until this page's turn in the host's line.
      await job.moveToDelayed(Date.now() + admission.wait, token);
      throw new DelayedError();
    }
    // Crawls started before formats (or rendering) existed have none.
    const { formats = [], onlyMainContent = true, renderWaitUntil, renderWaitMs, renderResources } = context.options;
    const input = { url: from, formats, onlyMainContent, renderWaitUntil, renderWaitMs, renderResources };
    const headers = conditionalHeaders(previous);
    const leaseRef = { lease: admission.lease };
    const robots = context.options.respectRobots ? this.deps.robots : null;
    const hopDeps = { gate: this.deps.gate, robots, hostFailureLimit: config.crawlHostFailureLimit };
    const onRedirect = hopHandler(hopDeps, leaseRef, crawlId, crawlCap, String(job.id));
    const held = await this.deps.gate.hold(leaseRef, (fetched) =>
      this.deps.cancels.run(crawlId, signal, (abort) =>
        this.deps.fetchPage(input, abort, fetched, headers, onRedirect),
      ),
    );
    if ('err' in held) {
      const { err, outcome, pauseMs } = held;
      if ((await store.state(crawlId)) !== 'running') return { url, outcome: 'stopped' };
      if (err instanceof HopMustWaitError) {
        // The redirect's next host has no lease free: wait in the queue, then resume at that hop.
        await job.updateData({ ...job.data, resumeAt: err.next });
        await job.moveToDelayed(Date.now() + err.waitMs, token);
        throw new DelayedError();
      }
      const waits = job.data.hostWaits ?? 0;
      if ((outcome === 'busy' || outcome === 'busy-failure') && waits < MAX_HOST_WAITS) {
        // The host asked to wait: fetch again after its pause, without spending an attempt.
        await job.updateData({ ...job.data, hostWaits: waits + 1 });
        await job.moveToDelayed(Date.now() + pauseMs, token);
        throw new DelayedError();
      }
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (isRetryable(err) && !lastAttempt) throw toBullmqError(err);
      await this.finish(crawlId, url, unfetched(describeFailure(err).message), 'failed', [], { render });
      return { url, outcome: 'failed' };
    }
    // The record is the page's own URL's, wherever the fetch resumed.
    let result = from === url ? held.value : { ...held.value, url };
    const { maxDepth, sitemap } = context.options;
    const change = previous === undefined ? undefined : changeOf(previous, result);
    // A 304 has no body: the page links where it did in the old crawl.
    const unchanged = result.status === 304 && previous ? previous : null;
    if (unchanged) result = unchangedResult(result, unchanged);
    const pageLinks =
      unchanged && recrawlOf ? ((await this.deps.recrawls.linksOf(recrawlOf, url)) ?? []) : result.links;
    // With sitemap: only, the seed's links are not followed either: the sitemaps say what to fetch.
    const links = depth < maxDepth && sitemap !== 'only' ? pageLinks : [];
    const { urls: listed, passedOver } =
      depth === 0 && maxDepth > 0 && sitemap !== 'skip'
        ? await sitemapLinks(this.deps, url, context, signal)
        : { urls: [], passedOver: 0 };
    const fromSitemap = new Set(listed.filter((link) => !links.includes(link)));
    const found =
      links.length || fromSitemap.size
        ? await this.children(crawlId, [...links, ...fromSitemap], context, fromSitemap)
        : { children: [], dropped: 0 };
    const { children } = found;
    // Sitemap files passed over (another host out of scope, or its robots.txt says no) count as skipped.
    const dropped = found.dropped + passedOver;
    const record = fetchedPageRecord(result, depth, context.options.formats?.includes('links'));
    if (change) record.change = change;
    await this.finish(crawlId, url, record, 'fetched', children, { dropped, render });
    return { url, outcome: 'fetched' };
  }

  /**
   * In-scope links with robots.txt's word on each. The links of a page are
   * normalized and unique already (extractLinks). robots.txt is fetched only
   * for links the crawl can still claim (new, within maxPages), and for at
   * most CRAWL_MAX_ROBOTS_PER_PAGE new origins a page; links left out for
   * that are counted as skipped (`dropped`) and stay unclaimed, so another
   * page may bring them again. Links not reached within CRAWL_MAX_LINK_MS
   * are dropped the same way.
   */
  private async children(
    crawlId: string,
    links: string[],
    context: CrawlContext,
    fromSitemap: Set<string>,
  ): Promise<{ children: ChildLink[]; dropped: number }> {
    const children: ChildLink[] = [];
    const unknown: string[] = [];
    // Two links may be one page in this crawl's canonical form (tracking parameters, ignored queries).
    links = [...new Set(links.map((link) => context.scope.canonical(link)))];
    fromSitemap = new Set([...fromSitemap].map((link) => context.scope.canonical(link)));
    // Linear matching is still rules x path length a link: a page's links get CRAWL_MAX_LINK_MS in all.
    const deadline = performance.now() + this.deps.config.crawlMaxLinkMs;
    let late = 0;
    for (const [index, link] of links.entries()) {
      if ((index & 7) === 7 && performance.now() > deadline) {
        late = links.length - index;
        break;
      }
      // Parsed once for the scope and robots.txt checks.
      const url = new URL(link);
      if (!context.scope.allows(url)) continue;
      const rules = context.options.respectRobots ? this.deps.robots.cached(url) : null;
      if (rules || !context.options.respectRobots)
        children.push({ url: link, allowed: rules ? rules.isAllowed(link) : true, fromSitemap: fromSitemap.has(link) });
      else unknown.push(link);
    }
    if (unknown.length === 0) return { children, dropped: late };
    const { room, fresh } = await this.deps.store.unclaimed(crawlId, unknown);
    const origins = new Map<string, RobotsRules | Promise<RobotsRules>>();
    const picked: string[] = [];
    let dropped = late;
    for (const [index, link] of unknown.entries()) {
      if (!fresh[index]) continue;
      const origin = new URL(link).origin;
      if (picked.length >= room || (!origins.has(origin) && origins.size >= this.deps.config.crawlMaxRobotsPerPage)) {
        dropped++;
        continue;
      }
      if (!origins.has(origin)) origins.set(origin, this.deps.robots.rulesFor(link));
      picked.push(link);
    }
    // The new origins' robots.txt load side by side: a page waits for one fetch deadline at most, not one per origin.
    const rules = new Map(
      await Promise.all([...origins].map(async ([origin, pending]) => [origin, await pending] as const)),
    );
    for (const link of picked) {
      const allowed = rules.get(new URL(link).origin)!.isAllowed(link);
      children.push({ url: link, allowed, fromSitemap: fromSitemap.has(link) });
    }
    return { children, dropped };
  }

  private async finish(
    crawlId: string,
    url: string,
    record: PageRecord,
    outcome: 'fetched' | 'failed' | 'skipped' | 'dropped',
    children: ChildLink[],
    { dropped = 0, render }: { dropped?: number; render: boolean },
  ): Promise<void> {
    const maxStoredBytes = this.deps.config.crawlMaxStoredBytesPerCrawl;
    const { claimed, ended, queuedBefore } = await this.deps.store.finish(crawlId, url, record, outcome, children, {
      dropped,
      maxStoredBytes,
    });
    // The crawl's own queue: a rendered crawl's children are rendered too; each at its place in the crawl,
    // spread by its tenant's share (a tenant's crawls share one tenant's turn).
    const tenant = (await this.context(crawlId))?.tenant ?? DEFAULT_TENANT;
    if (ended) await this.deps.shares.ended(tenant, crawlId);
    const scale = claimed.length ? await this.deps.shares.scale(tenant) : 1;
    await this.deps.pages.add(crawlId, claimed, record.depth + 1, render, queuedBefore + 1, scale);
    await this.deps.hooks.pageFinished(crawlId, outcome === 'dropped' ? null : record, ended);
  }
}
