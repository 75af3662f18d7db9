import {
  HostUnavailableError,
  RedirectError,
  RobotsDisallowedError,
  RobotsUnavailableError,
} from '@crawlfleet/core/errors';
import { SITEMAP_FILE, fetchUrlOf, type MemoryWatch, type TenantUsage } from '@crawlfleet/core/runtime';
import type {
  ChildLink,
  Config,
  CrawlInput,
  CrawlOptions,
  CrawlPageData,
  CrawlResult,
  PageRecord,
} from '@crawlfleet/core';
import {
  CrawlScopeFilter,
  isRetryable,
  normalizeUrl,
  sitemapOf,
  type SafeFetcher,
  type SitemapLimits,
} from '@crawlfleet/tasks';
import { describeFailure } from '../task-failure.js';
import type { CrawlCancels } from './crawl-cancels.js';
import type { CrawlHooks } from './crawl-hooks.js';
import { changeOf, conditionalHeaders, markUnfetched, unchangedResult, type Previous } from './recrawl.js';
import type { HostGate } from './host-gate.js';

import type { RobotsCache } from './robots-cache.js';
import type { TenantShares } from './tenant-shares.js';
import { HopMustWaitError, hopHandler } from './hops.js';
import { CrawlDrains } from './crawl-drain.js';
import { Relay } from './relay.js';
import { scopedChildren } from './page-links.js';
import { sitemapFileChildren, sitemapRoots } from './sitemap-files.js';
import {
  fetchedPageRecord,
  paceOf,
  pageData,
  pageJobId,
  unfetchedPageRecord,
  type CrawlPace,
  type FrontierEntry,
  type PageClaim,
  type PageQueues,
  type CrawlStore,
  type Recrawls,
} from '@crawlfleet/crawl';

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
  /** Wakes this process's frontier dispatcher (a page finished or went back: a host may be due). */
  wake?: () => void;
  /** Fetches a page: the safe fetch (crawl workers), or a render in headless Chromium (render workers). */
  fetchPage: PageFetch;
  /**
   * The worker's slots: a lease given back passes on to its host's next page
   * in this process (see {@link PageProcessor.handOn}) only while fewer pages run here.
   * 0 or absent: never (render workers, where a page is a browser's work).
   */
  slots?: number;
  /** Hears of each page run in-process from a hand-on (its id as a job's, its shard, how it ended, its ms). */
  handedOn?: (id: string, shard: number, outcome: 'completed' | 'failed', ms: number, err?: Error) => void;
}

/** How a page came to run here: hand-ons in a row before it, and its relay when it was claimed ahead. */
interface HandOn {
  handOns: number;
  relay?: Relay;
}

/** A page to run: a BullMQ job's id and data, or the same for a page handed on in-process. */
export interface PageJob {
  id?: string | undefined;
  data: CrawlPageData;
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
/**
 * Pages a lease passes through in one process before it goes back to the
 * fleet's dispatchers (and from there to any worker): a host's work keeps
 * spreading over the workers, as BullMQ spreads jobs. Not fewer: that trip
 * costs more worker CPU than a page's own work (16 cost cap 4 ~1.2x cap 64's
 * CPU a page; bench/README.md).
 */
const MAX_HAND_ON = 64;
/** How long work waits while Redis is short of memory, before it looks again. */
export const MEMORY_WAIT_MS = 1000;

/**
 * Runs one page of a recursive crawl: robots.txt and politeness first, then
 * the safe fetch, then one atomic store call that records the page and claims
 * its new in-scope links, which are queued as page jobs of their own.
 */
export class PageProcessor {
  private readonly contexts = new Map<string, CrawlContext>();

  /** Drops a stopped crawl's queued pages (crawl-drain.ts). */
  private readonly drains: CrawlDrains;

  constructor(private readonly deps: PageProcessorDeps) {
    this.drains = new CrawlDrains(deps);
  }

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

  /** Pages running here now: page jobs and pages handed on. */
  private running = 0;
  /** Hand-ons asked of the frontier and not answered yet (each may bring a page). */
  private asking = 0;
  /** Pages handed on in-process and still running (waited for at shutdown). */
  private readonly handedOn = new Set<Promise<void>>();
  private handingOn = true;

  async process(
    job: PageJob,
    _token: string | undefined,
    signal: AbortSignal | undefined,
    via: HandOn = { handOns: 0 },
  ): Promise<PageOutcome> {
    this.running += 1;
    try {
      return await this.processPage(job, signal, via);
    } finally {
      this.running -= 1;
      // A page claimed ahead that ended without fetching gives back a lease handed to it meanwhile.
      const left = via.relay?.close();
      if (left) void this.deps.gate.release(left, 'other').catch(() => this.deps.wake?.());
    }
  }

  /** Whether a page may be handed on now from a run `handOns` hand-ons deep (slots, memory, shutdown). */
  private mayHandOn(handOns: number): boolean {
    const slots = this.deps.slots ?? 0;
    return this.handingOn && handOns < MAX_HAND_ON && this.running + this.asking < slots && !this.deps.memory.pressure;
  }

  /**
   * Passes a lease given back after a response on to its host's next page
   * (the frontier's turns pick it: round-robin between crawls, tenants'
   * shares, caps, delays), run here at once: no trip through BullMQ and no
   * dispatcher wake between a host's responses. The page is claimed in the
   * frontier like a page job (a killed worker's claim lapses and the page is
   * handed out again). Not past the worker's slots, under memory pressure,
   * after {@link stopHandingOn}, or past MAX_HAND_ON pages in a row.
   */
  private handOn(claim: PageClaim, handOns: number): void {
    const { wake } = this.deps;
    // Not handed on: the dispatchers serve the host (woken here, as any lease given back wakes them).
    if (!this.mayHandOn(handOns)) return wake?.();
    this.ask(claim, handOns, null);
  }

  /**
   * Claims the host's next page ahead, as a request to the host starts: the
   * page runs here up to its fetch, and the request's lease passes to it as
   * its response comes in (see {@link Relay}). Only where the lease is the
   * host's alone: not for a crawl with its own cap or delayMs, nor on a host
   * spaced by Crawl-delay. @returns the relay, or null (the lease is given
   * back, or handed on, as usual).
   */
  private claimAhead(claim: PageClaim, context: CrawlContext, hostDelayMs: number, handOns: number): Relay | null {
    const { options } = context;
    if (claim.lane !== 'p' || hostDelayMs > 0 || options.maxConcurrencyPerHost != null || (options.delayMs ?? 0) > 0)
      return null;
    if (!this.mayHandOn(handOns)) return null;
    const relay = new Relay();
    this.ask(claim, handOns, relay);
    return relay;
  }

  /** Asks the frontier for the host's next page (ahead with a relay) and runs it here. */
  private ask(claim: PageClaim, handOns: number, relay: Relay | null): void {
    const { frontier } = this.deps.pages;
    const { wake } = this.deps;
    this.asking += 1;
    const asked = frontier.dispatch(claim.shard, claim.lane, 1, Date.now(), claim.host, relay !== null).finally(() => {
      this.asking -= 1;
    });
    const run = asked.then(async ({ pages }) => {
      relay?.answer(pages.length > 0);
      if (pages.length === 0 && !relay) wake?.();
      for (const page of pages) {
        const id = pageJobId(page.crawlId, page.lease);
        const started = Date.now();
        try {
          const via: HandOn = relay ? { handOns: handOns + 1, relay } : { handOns: handOns + 1 };
          await this.process({ id, data: pageData(page) }, undefined, undefined, via);
          this.deps.handedOn?.(id, page.shard, 'completed', Date.now() - started);
        } catch (err) {
          // As a failed job's: its claim lapses now and the next dispatch step sends the page back (a try spent).
          this.deps.handedOn?.(id, page.shard, 'failed', Date.now() - started, err as Error);
          await frontier.lapse(page.shard, page.lane, page.lease).catch(() => {});
        }
      }
    });
    const tracked: Promise<void> = run
      .catch(() => {
        // Redis away: the host's next page waits for a dispatcher instead.
        relay?.answer(false);
        wake?.();
      })
      .finally(() => this.handedOn.delete(tracked));
    this.handedOn.add(tracked);
  }

  /** Hosts this process saw paused (a 429/503, or a lease passed on that had lapsed): until when. */
  private readonly paused = new Map<string, number>();

  private pauseHere(host: string, ms: number): void {
    if (this.paused.size > 10_000) this.paused.clear();
    this.paused.set(host, Date.now() + ms);
    this.deps.wake?.();
  }

  /** Whether leases on `host` must go back to the dispatchers (which ask Redis) instead of passing on. */
  private pausedHere(host: string): boolean {
    const until = this.paused.get(host);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.paused.delete(host);
    return false;
  }

  /** Hands no more leases on, and waits for the pages handed on to end. */
  async stopHandingOn(): Promise<void> {
    this.handingOn = false;
    while (this.handedOn.size > 0) await Promise.allSettled([...this.handedOn]);
  }

  private async processPage(job: PageJob, signal: AbortSignal | undefined, via: HandOn): Promise<PageOutcome> {
    const { crawlId, url, depth } = job.data;
    const claim = claimOf(job.data);
    if (!claim) {
      // A page job queued before the frontier: its page joins the frontier (once: the job completes).
      const context = await this.context(crawlId);
      if (context) await this.deps.pages.add(crawlId, [url], depth, context.options.render, this.pace(context, 1));
      return { url, outcome: 'requeued' };
    }
    if (via.relay) claim.ahead = true;
    // Redis short of memory: every write would fail. The page waits (the dispatcher hands out no more),
    // then starts; a claim or lease that lapsed meanwhile sends it back through the frontier.
    while (this.deps.memory.pressure && !signal?.aborted)
      await new Promise((resolve) => setTimeout(resolve, MEMORY_WAIT_MS));
    // A long page (a slow render, robots.txt of many origins) keeps its claim: a lapsed one would be handed out again.
    const renewal = setInterval(
      () => {
        this.deps.pages.frontier.renew(claim).catch(() => {});
      },
      this.deps.pages.frontier.claimMsOf(claim.lease) / 3,
    );
    try {
      const outcome = await this.run(job, claim, signal, via);
      return { url, outcome: outcome === 'back' ? 'requeued' : outcome };
    } finally {
      clearInterval(renewal);
    }
  }

  /** How a crawl's pages are served on their hosts: its tenant's share, its delayMs, its own cap. */
  private pace(context: CrawlContext, stride: number): CrawlPace {
    return paceOf(context.options, this.deps.config.crawlMaxDelayMs, stride);
  }

  /** Sends the page back to the frontier (first in its host's list), not before `notBefore`. */
  private async back(
    claim: PageClaim,
    data: CrawlPageData,
    context: CrawlContext,
    change: Partial<FrontierEntry>,
    notBefore = 0,
    keepLease = false,
  ): Promise<'back'> {
    const entry: FrontierEntry = {
      depth: data.depth,
      tries: data.tries ?? 0,
      waits: data.hostWaits ?? 0,
      url: data.url,
      ...(data.resumeAt ? { resume: data.resumeAt } : {}),
      ...change,
    };
    const stride = await this.deps.shares.scale(context.tenant, data.crawlId);
    await this.deps.pages.frontier.putBack(claim, entry, this.pace(context, stride), notBefore, keepLease);
    this.deps.wake?.();
    return 'back';
  }

  private async run(
    job: PageJob,
    claim: PageClaim,
    signal: AbortSignal | undefined,
    via: HandOn,
  ): Promise<PageOutcome['outcome'] | 'back'> {
    const { handOns } = via;
    const { crawlId, url, depth } = job.data;
    const { store, config } = this.deps;
    const { frontier } = this.deps.pages;
    // The reads leave in one write (the store's connection auto-pipelines).
    const [begun, { state, overBudget }, claimed, context] = await Promise.all([
      frontier.begin(claim),
      store.runState(crawlId),
      store.claimedBy(crawlId, url),
      this.context(crawlId),
    ]);
    // Handed out again after its claim lapsed: that hand-out runs it.
    if (begun === 'gone') return 'requeued';
    if (state !== 'running' || !context) {
      await frontier.settle(claim);
      return 'stopped';
    }
    const { render } = context.options;
    const stride = await this.deps.shares.scale(context.tenant, crawlId);
    // Finished before but not acknowledged (the worker died): queue the same children again.
    if (claimed) {
      await this.deps.pages.add(crawlId, claimed, childDepthOf(url, depth), render, this.pace(context, stride));
      await frontier.settle(claim);
      return 'requeued';
    }
    // Its lease lapsed, or an earlier run used it (that request may still be in flight: the lease lapses alone).
    if (begun === 'requeue') return this.back(claim, job.data, context, {}, 0, true);
    const finish = (record: PageRecord, outcome: FinishOutcome, children: ChildLink[] = [], dropped = 0) =>
      this.finish(claim, context, url, record, outcome, children, dropped, stride);
    // A sitemap file (`sitemap:<url>`) is a request to its host like a page, but not a page.
    const file = url.startsWith(SITEMAP_FILE) ? fetchUrlOf(url) : null;
    const { maxDurationMs } = context.options;
    if (overBudget || (maxDurationMs && Date.now() - context.startedAt >= maxDurationMs)) {
      // Past a budget the queued pages are dropped: no fetch, no record (FINISH_PAGE sets the stopReason).
      await finish(unfetchedPageRecord(url, depth, 'dropped'), file ? 'sitemap' : 'dropped');
      await this.drain(crawlId, context);
      return 'stopped';
    }
    if (!file && !(await this.deps.usage.takePage(context.tenant))) {
      // The tenant's pages for today are spent: the crawl stops claiming and ends with stopReason quota.
      await store.stop(crawlId, 'quota');
      await finish(unfetchedPageRecord(url, depth, 'dropped'), 'dropped');
      await this.drain(crawlId, context);
      return 'stopped';
    }
    const { recrawlOf } = context.options;
    const previous: Previous = recrawlOf && !file ? await this.deps.recrawls.validatorsOf(recrawlOf, url) : undefined;
    const unfetched = (error: string) => markUnfetched(unfetchedPageRecord(url, depth, error), previous);
    if (typeof begun === 'object' && file) {
      await finish(unfetchedPageRecord(url, depth, ''), 'sitemap');
      return 'skipped';
    }
    if (typeof begun === 'object') {
      // The crawl's circuit for the host is open.
      const error = describeFailure(new HostUnavailableError(new URL(url).host, config.crawlHostFailureLimit)).message;
      await finish(unfetched(error), 'failed');
      return 'failed';
    }
    const rules = context.options.respectRobots ? await this.deps.robots.rulesFor(file ?? url) : null;
    // A sitemap file's robots.txt was asked when it was claimed.
    if (rules && !file && !rules.isAllowed(url)) {
      const refusal =
        rules.unavailable === null ? new RobotsDisallowedError() : new RobotsUnavailableError(rules.unavailable);
      // A failure with its record (CF_ERR_ROBOTS_DISALLOWED): a crawl whose seed robots.txt refuses fails.
      await finish(unfetched(describeFailure(refusal).message), 'failed');
      return 'failed';
    }
    // The crawl's delayMs spaces this crawl; Crawl-delay spaces every crawl of the host. The frontier
    // spaces pages as it hands them out; the slots here hold the line for pages handed out before the
    // host's Crawl-delay was known, and against the time between hand-out and fetch.
    const crawlDelayMs = Math.min(context.options.delayMs ?? 0, config.crawlMaxDelayMs);
    const hostDelayMs = Math.min(rules?.crawlDelayMs ?? 0, config.crawlMaxDelayMs);
    const host = new URL(file ?? url).host;
    if (hostDelayMs > 0) await this.noteCrawlDelay(host, hostDelayMs);
    if (crawlDelayMs > 0 || hostDelayMs > 0) {
      const wait = await store.reserveSlots(crawlId, host, crawlDelayMs, hostDelayMs);
      if (wait > 0) return this.back(claim, job.data, context, {}, Date.now() + wait);
    }
    // Claimed ahead: the lease of the request before it, once that response is in (none: back to the frontier).
    if (via.relay) {
      const passed = await via.relay.take();
      if (!passed) return this.back(claim, job.data, context, {});
      claim.hostLease = passed.id;
    }
    if (file) return this.readSitemap(job, claim, context, file, signal, finish);
    // Crawls started before formats (or rendering) existed have none.
    const { formats = [], onlyMainContent = true, renderWaitUntil, renderWaitMs, renderResources } = context.options;
    // A page that waited for a redirect hop's host resumes at that hop (each hop answers for itself).
    const from = job.data.resumeAt ?? url;
    const input = { url: from, formats, onlyMainContent, renderWaitUntil, renderWaitMs, renderResources };
    const headers = conditionalHeaders(previous);
    const leaseRef = { lease: this.deps.gate.leaseOf(claim.host, crawlId, claim.hostLease ?? claim.lease) };
    const leaseId = leaseRef.lease.id;
    const relay = this.claimAhead(claim, context, hostDelayMs, handOns);
    const robots = context.options.respectRobots ? this.deps.robots : null;
    const hopDeps = { gate: this.deps.gate, robots, hostFailureLimit: config.crawlHostFailureLimit };
    const crawlCap = context.options.maxConcurrencyPerHost ?? null;
    const onRedirect = hopHandler(hopDeps, leaseRef, crawlId, crawlCap, String(job.id));
    const held = await this.deps.gate
      .hold(
        leaseRef,
        (fetched) =>
          this.deps.cancels.run(crawlId, signal, (abort) =>
            this.deps.fetchPage(input, abort, fetched, headers, onRedirect),
          ),
        {
          // The page's own lease (not a redirect hop's, which is no frontier lease) passes on: to the page
          // claimed ahead, else to the host's next page asked for now.
          pass: async (lease) => {
            if (!relay || lease.id !== leaseId || this.pausedHere(claim.host)) return false;
            if (!(await relay.offer(lease))) return false;
            claim.passed = true;
            // Its books are written beside the next request; a pause found there (another request's 429, or
            // the lease lapsed) ends the passing on this host here: its pages go back to the dispatchers.
            const paused = await this.deps.gate.keep(lease).catch(() => -1);
            if (paused !== 0) this.pauseHere(claim.host, paused > 0 ? paused : 1000);
            return true;
          },
          released: (lease) => (lease.id === leaseId ? this.handOn(claim, handOns) : this.deps.wake?.()),
        },
      )
      .finally(() => relay?.refuse());
    if ('err' in held) {
      const { err, outcome, pauseMs } = held;
      if (pauseMs > 0) this.pauseHere(claim.host, pauseMs);
      if ((await store.state(crawlId)) !== 'running') {
        await frontier.settle(claim);
        return 'stopped';
      }
      const waits = job.data.hostWaits ?? 0;
      // The redirect's next host has no lease free: the page waits in that host's frontier list. Each such
      // wait counts (a resumed fetch starts its redirect count again): redirects between two hosts that are
      // always full end after MAX_HOST_WAITS, not never.
      if (err instanceof HopMustWaitError) {
        if (waits < MAX_HOST_WAITS) return this.back(claim, job.data, context, { resume: err.next, waits: waits + 1 });
        const gaveUp = new RedirectError(url, `the hop to ${err.next} waited for its host ${waits} times`);
        await finish(unfetched(describeFailure(gaveUp).message), 'failed');
        return 'failed';
      }
      if ((outcome === 'busy' || outcome === 'busy-failure') && waits < MAX_HOST_WAITS) {
        // The host asked to wait (paused for every worker): fetch again after, without spending a try.
        return this.back(claim, job.data, context, { waits: waits + 1 }, Date.now() + pauseMs);
      }
      const tries = job.data.tries ?? 0;
      if (isRetryable(err) && tries + 1 < config.jobAttempts) {
        // Retried through the frontier after an exponential backoff (the crawl's other pages go on meanwhile).
        return this.back(claim, job.data, context, { tries: tries + 1, after: Date.now() + 1000 * 2 ** tries });
      }
      await finish(unfetched(describeFailure(err).message), 'failed');
      return 'failed';
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
    // The seed claims its site's sitemap files: each is read by a job of its own, as work of its host.
    const files =
      depth === 0 && maxDepth > 0 && sitemap !== 'skip'
        ? await sitemapRoots(this.deps.robots, url, context)
        : { children: [], passedOver: 0 };
    const found = links.length
      ? await scopedChildren(this.deps, crawlId, links, context, new Set())
      : { children: [], dropped: 0 };
    const children = [...found.children, ...files.children];
    // Sitemap files passed over (another host out of scope, or its robots.txt says no) count as skipped.
    const dropped = found.dropped + files.passedOver;
    const record = fetchedPageRecord(result, depth, context.options.formats?.includes('links'));
    if (change) record.change = change;
    await finish(record, 'fetched', children, dropped);
    return 'fetched';
  }

  /**
   * Reads one sitemap file under the lease it was handed out with: an
   * index's files and a urlset's pages become its children (pages counted
   * from sitemaps, at the depth of the file: the seed's children). A file
   * that fails, is not 2xx or is not a sitemap is passed over, as a missing
   * /sitemap.xml is common; a 429/503 pauses the host and the file waits.
   */
  private async readSitemap(
    job: PageJob,
    claim: PageClaim,
    context: CrawlContext,
    file: string,
    signal: AbortSignal | undefined,
    finish: (record: PageRecord, outcome: FinishOutcome, children?: ChildLink[], dropped?: number) => Promise<void>,
  ): Promise<PageOutcome['outcome'] | 'back'> {
    const { crawlId, url, depth } = job.data;
    const leaseRef = { lease: this.deps.gate.leaseOf(claim.host, crawlId, claim.hostLease ?? claim.lease) };
    const held = await this.deps.gate.hold(leaseRef, (fetched) =>
      this.deps.cancels.run(crawlId, signal, async (abort) => {
        // Past the fetch's byte cap (CRAWL_MAX_BYTES) a file is refused, not cut: a cut .gz does not inflate.
        const page = await this.deps.fetcher.fetch(file, abort, () => true);
        fetched();
        return page;
      }),
    );
    const waits = job.data.hostWaits ?? 0;
    if ('err' in held && (held.outcome === 'busy' || held.outcome === 'busy-failure') && waits < MAX_HOST_WAITS)
      return this.back(claim, job.data, context, { waits: waits + 1 }, Date.now() + held.pauseMs);
    const record = unfetchedPageRecord(url, depth, '');
    const sitemap = 'err' in held ? null : sitemapOf(held.value.status, held.value.body, this.deps.sitemapLimits);
    if (!sitemap || (await this.deps.store.state(crawlId)) !== 'running') {
      await finish(record, 'sitemap');
      return 'skipped';
    }
    if (sitemap.index) {
      const { children, passedOver } = await sitemapFileChildren(this.deps.robots, sitemap.locs, context);
      await finish(record, 'sitemap', children, passedOver);
    } else {
      const listed = [...new Set(sitemap.locs.map((loc) => normalizeUrl(loc)).filter((loc) => loc !== null))];
      // At most CRAWL_SITEMAP_MAX_URLS a crawl, over all its sitemap files.
      const room = await this.deps.store.sitemapUrlRoom(crawlId, listed.length, this.deps.sitemapLimits.maxUrls);
      const pages = listed.slice(0, room);
      const { children, dropped } = await scopedChildren(this.deps, crawlId, pages, context, new Set(pages));
      await finish(record, 'sitemap', children, dropped);
    }
    return 'fetched';
  }

  /** Records the page (claiming its new children), queues the children, ends the page's claim. */
  private async finish(
    claim: PageClaim,
    context: CrawlContext,
    url: string,
    record: PageRecord,
    outcome: FinishOutcome,
    children: ChildLink[],
    dropped: number,
    stride: number,
  ): Promise<void> {
    const { crawlId } = claim;
    const maxStoredBytes = this.deps.config.crawlMaxStoredBytesPerCrawl;
    // A sitemap file's pages and files are at its own depth (the seed's children).
    const childDepth = childDepthOf(url, record.depth);
    const { claimed, ended } = await this.deps.store.finish(crawlId, url, record, outcome, children, {
      dropped,
      maxStoredBytes,
      childDepth,
      maxSitemapFiles: this.deps.sitemapLimits.maxFiles,
    });
    // The crawl's own lane: a rendered crawl's children are rendered too. The claim ends after the
    // children are queued: a worker dying between the two leaves the page to be handed out again,
    // and that run queues the same children (claimedBy).
    if (ended) await this.deps.shares.ended(context.tenant, crawlId);
    await this.deps.pages.add(crawlId, claimed, childDepth, context.options.render, this.pace(context, stride));
    await this.deps.pages.frontier.settle(claim);
    this.deps.wake?.();
    const recorded = outcome !== 'dropped' && outcome !== 'sitemap';
    await this.deps.hooks.pageFinished(crawlId, recorded ? record : null, ended);
  }

  private drain(crawlId: string, context: CrawlContext): Promise<void> {
    return this.drains.drain(crawlId, context);
  }

  private readonly crawlDelays = new Map<string, number>();

  /** Tells the frontier a host's Crawl-delay (once a minute a host and process). */
  private async noteCrawlDelay(host: string, delayMs: number): Promise<void> {
    const now = Date.now();
    if (now - (this.crawlDelays.get(host) ?? 0) < 60_000) return;
    if (this.crawlDelays.size > 10_000) this.crawlDelays.clear();
    this.crawlDelays.set(host, now);
    await this.deps.pages.frontier.setCrawlDelay(host, delayMs);
  }
}

type FinishOutcome = 'fetched' | 'failed' | 'skipped' | 'dropped' | 'sitemap';

/** The depth of what a page or sitemap file claims: a page's links one deeper, a sitemap file's at its own. */
function childDepthOf(url: string, depth: number): number {
  return url.startsWith(SITEMAP_FILE) ? depth : depth + 1;
}

/** The frontier hand-out a page job carries, or null for a job queued before the frontier. */
function claimOf(data: CrawlPageData): PageClaim | null {
  const { lease, host, shard, lane, crawlId } = data;
  if (!lease || !host || shard === undefined || !lane) return null;
  return { lease, host, shard, lane, crawlId };
}
