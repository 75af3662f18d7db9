import {
  MemoryWatch,
  TenantUsage,
  WebhookBudget,
  WEBHOOK_QUEUE,
  cancelChannel,
  createRedis,
  type Config,
  type CrawlPageData,
} from '@crawlfleet/core/runtime';
import {
  CRAWL_SCHEDULE_JOB,
  Crawls,
  startScheduledCrawl,
  type CrawlScheduleData,
  CrawlStore,
  PAGE_JOB,
  PageQueues,
  Recrawls,
  pageQueueNames,
} from '@crawlfleet/crawl';
import type { CrawlInput } from '@crawlfleet/core';
import { SafeFetcher, crawlPage, type PageLimits, type SitemapLimits } from '@crawlfleet/tasks';
import type { RedisClient } from '@crawlfleet/core/runtime';
import type { Logger } from 'pino';
import { Counter, type Histogram, type Registry } from 'prom-client';
import { movedToDelayed, openQueue, toBullmqError, type Job, type Worker } from '../bullmq.js';
import { CrawlCancels } from './crawl-cancels.js';
import { ContentPool } from './content-pool.js';
import { CrawlSweep } from './crawl-sweep.js';
import { Dispatcher } from './dispatcher.js';

import { CrawlHooks } from './crawl-hooks.js';
import { TenantShares } from './tenant-shares.js';
import { HostGate } from './host-gate.js';
import { MEMORY_WAIT_MS, PageProcessor, type PageFetch } from './page-processor.js';
import { HopMustWaitError, hopHandler } from './hops.js';
import type { FetchOverrides } from '../render/renderer.js';
import { RobotsCache } from './robots-cache.js';

/** Sitemap files (indexes included) read for one crawl. */
const SITEMAP_MAX_FILES = 50;

/** What a crawl worker runs beside its BullMQ Worker, loaded only by crawl workers. */
export interface CrawlParts {
  /**
   * The crawl queue's processor: a single-page job through the shared safe
   * fetcher (aborted by DELETE through `signal`), or one page of a recursive crawl.
   */
  processor: (job: Job, token?: string, signal?: AbortSignal) => Promise<unknown>;
  /** Listens for DELETEs of active crawl jobs and aborts them if they run on one of `workers`. */
  listenForCancels(workers: Worker[]): Promise<void>;
  /** Adds this part's own metrics (a render worker's) to the worker's registry; counts pages handed on in it. */
  register(registry: Registry): void;
  /** Stops handing leases on in-process; resolves once the pages handed on have ended (shutdown waits for them). */
  quiesce(): Promise<void>;
  close(): Promise<void>;
}

/** How a crawl worker part is made: plain fetches, or pages rendered in a browser (the render worker). */
export interface CrawlPartsOptions {
  render?: boolean;
  /** Test hooks: the address policy and DNS of every fetch and render. */
  overrides?: FetchOverrides;
  /** The worker's slots: the dispatcher keeps about as many page jobs waiting. */
  concurrency?: number;
  /** Ready this thread's content code as the worker starts (a worker process; content threads ready their own). */
  warmUp?: boolean;
}

function createFetcher(config: Config, overrides: FetchOverrides): SafeFetcher {
  return new SafeFetcher({
    ...overrides,
    userAgent: config.crawlUserAgent,
    timeoutMs: config.crawlTimeoutMs,
    connectTimeoutMs: config.crawlConnectTimeoutMs,
    maxBytes: config.crawlMaxBytes,
    maxRedirects: config.crawlMaxRedirects,
    allowPrivateNetworks: config.crawlAllowPrivateNetworks,
  });
}

/** The fetcher, crawl store, robots cache and cancel listeners of a crawl worker. */
export async function startCrawlParts(
  config: Config,
  logger: Logger,
  options: CrawlPartsOptions = {},
): Promise<CrawlParts> {
  const fetcher = createFetcher(config, options.overrides ?? {});
  // No blocking command ever runs here, so the commands of concurrent pages
  // issued in one tick can share a socket write (auto-pipelining).
  const commands = createRedis(
    config,
    'blocking',
    (err) => logger.warn({ err: err.message }, 'crawl store lost Redis'),
    { enableAutoPipelining: true },
  );
  const queue = openQueue('crawl', commands, config);
  const pageQueues = new PageQueues(commands, config, queue);
  const store = new CrawlStore(commands, config.queuePrefix, config.resultTtlSeconds, config.crawlQueueShards);
  const robots = new RobotsCache(
    commands,
    config.queuePrefix,
    fetcher,
    config.crawlUserAgent,
    config.crawlRobotsMaxRules,
  );
  const cancels = new CrawlCancels();
  await cancels.listen(config, logger);
  // A page's content is extracted off the event loop, within CRAWL_MAX_CONTENT_MS.
  // A cold process's first content pages took 3-10x a warm one's: this thread's code is readied now (bench/README.md).
  const content = new ContentPool(config.crawlMaxContentMs, options.warmUp);
  const limits: PageLimits = {
    maxLinks: config.crawlMaxLinksPerPage,
    maxUrlLength: config.crawlMaxUrlLength,
    maxStoredBytes: config.crawlMaxStoredBytes,
    maxContentDepth: config.crawlMaxContentDepth,
    maxContentElements: config.crawlMaxContentElements,
    runContent: content.run,
  };
  const sitemapLimits: SitemapLimits = {
    maxUrls: config.crawlSitemapMaxUrls,
    maxFiles: SITEMAP_MAX_FILES,
    maxBytes: config.crawlMaxBytes,
    deadlineMs: config.crawlTimeoutMs * 4,
  };
  const webhooks = openQueue(WEBHOOK_QUEUE, commands, config);
  // The crawls' door, for schedules' runs.
  const crawls = new Crawls({ redis: commands, config, pages: pageQueues, webhooks, logger }, false);
  const hooks = new CrawlHooks({
    store,
    webhooks,
    redis: commands,
    prefix: config.queuePrefix,
    ttlSeconds: config.resultTtlSeconds,
    budget: new WebhookBudget(commands, config),
    logger,
  });
  const gate = new HostGate(commands, config);
  // Past 90% of Redis's maxmemory no page is claimed and no scheduled crawl started: they wait.
  const memory = new MemoryWatch(commands);
  // A render worker loads the browser driver; a crawl worker never does.
  const renderer = options.render
    ? (await import('../render/renderer.js')).startRenderer(config, logger, limits, options.overrides)
    : null;
  // The browser starts before the first page is taken: a sandbox that cannot start stops the worker here.
  await renderer?.ready();
  const fetchPage: PageFetch =
    renderer?.fetchPage ??
    ((input, signal, fetched, headers, onRedirect) =>
      crawlPage(fetcher, input, signal, limits, fetched, headers, onRedirect));
  const lane = options.render ? 'r' : 'p';
  const allShards = Array.from({ length: Math.max(1, config.crawlQueueShards) }, (_, shard) => shard);
  const dispatcher = new Dispatcher({
    pages: pageQueues,
    lane,
    // A render worker serves the one render queue, fed from every shard; a crawl worker its shards.
    shards: options.render ? allShards : (config.workerShards ?? allShards),
    target: options.concurrency ?? 10,
    memory,
    store,
    hooks,
    logger,
    redis: commands,
    prefix: config.queuePrefix,
  });
  // Pages handed on in-process are reported as page jobs are: a line each, and the job metrics of their shard's queue.
  let observe: ((queue: string, outcome: string, ms: number) => void) | null = null;
  const queueOfShard = pageQueueNames(config.crawlQueueShards);
  const pages = new PageProcessor({
    wake: () => dispatcher.wake(),
    slots: options.render ? 0 : (options.concurrency ?? 10),
    handedOn: (id, shard, outcome, ms, err) => {
      observe?.(queueOfShard[shard] ?? 'crawl', outcome, ms);
      if (err) logger.warn({ jobId: id, err: err.message }, `crawl job ${id} failed: ${err.message}`);
      else
        logger.debug(
          { jobId: id, type: 'crawl', durationMs: ms },
          `crawl job ${id} succeeded in ${(ms / 1000).toFixed(3)}s`,
        );
    },
    config,
    store,
    pages: pageQueues,
    fetcher,
    robots,
    cancels,
    sitemapLimits,
    fetchPage,
    hooks,
    gate,
    recrawls: new Recrawls(commands, config.queuePrefix),
    memory,
    usage: new TenantUsage(commands, config),
    shares: new TenantShares(commands, config),
  });
  const sweep = new CrawlSweep({
    store,
    pages: pageQueues,
    redis: commands,
    prefix: config.queuePrefix,
    intervalMs: config.crawlSweepIntervalMs,
    logger,
    hooks,
  });
  sweep.start();
  // A lease given back (a response is in) lets the dispatcher hand out the host's next page at once.
  gate.onRelease = () => dispatcher.wake();
  cancels.onWake = () => dispatcher.wake();
  // Knows Redis's memory use before the first hand-out.
  await memory.read().catch(() => 0);
  dispatcher.start();
  let subscriber: RedisClient | null = null;
  return {
    async processor(job, token, signal) {
      if (job.name === PAGE_JOB) return pages.process(job as Job<CrawlPageData>, token, signal);
      if (job.name === CRAWL_SCHEDULE_JOB) {
        if (memory.pressure) {
          await job.moveToDelayed(Date.now() + MEMORY_WAIT_MS, token);
          throw movedToDelayed();
        }
        const deps = { redis: commands, prefix: config.queuePrefix, ttlSeconds: config.resultTtlSeconds };
        return { crawlId: await startScheduledCrawl(crawls, deps, job.data as CrawlScheduleData) };
      }
      const input = job.data as CrawlInput;
      // A single-page job counts against the host's leases too; a busy host costs it an attempt.
      const admission = URL.canParse(String(input?.url))
        ? await gate.admit(input.url, null, null, String(job.id))
        : null;
      if (admission && !('lease' in admission)) {
        await job.moveToDelayed('waitUntil' in admission ? admission.waitUntil : admission.failUntil, token);
        throw movedToDelayed();
      }
      // Each redirect hop takes its own host's lease (and a single-page job reads no robots.txt, as before).
      const leaseRef = admission && 'lease' in admission ? { lease: admission.lease } : null;
      const hopDeps = { gate, robots: null, hostFailureLimit: config.crawlHostFailureLimit };
      const onRedirect = leaseRef ? hopHandler(hopDeps, leaseRef, null, null, String(job.id)) : undefined;
      const run = (fetched: () => void = () => {}) => fetchPage(input, signal, fetched, {}, onRedirect);
      // Without a URL to lease for, crawlPage refuses the input itself.
      const held = leaseRef
        ? await gate.hold(leaseRef, run)
        : await run().then(
            (value) => ({ value }),
            (err: unknown) => ({ err }),
          );
      if ('err' in held && held.err instanceof HopMustWaitError) {
        // The redirect's next host has no lease free: the job waits in the queue and starts again.
        await job.moveToDelayed(Date.now() + held.err.waitMs, token);
        throw movedToDelayed();
      }
      if ('err' in held) throw toBullmqError(held.err);
      return held.value;
    },
    async listenForCancels(workers) {
      subscriber = createRedis(config, 'blocking', (err) =>
        logger.warn({ err: err.message }, 'cancel listener lost Redis'),
      );
      subscriber.on('message', (_channel: string, jobId: string) => {
        if (workers.some((worker) => worker.cancelJob(jobId, 'cancelled by DELETE')))
          logger.info({ jobId }, 'job cancelled');
      });
      await subscriber.subscribe(cancelChannel(config.queuePrefix, 'crawl'));
    },
    register(registry) {
      renderer?.register(registry);
      const finished = registry.getSingleMetric('crawlfleet_jobs_finished_total') as Counter | undefined;
      const duration = registry.getSingleMetric('crawlfleet_job_duration_seconds') as Histogram | undefined;
      const handedOn = new Counter({
        name: 'crawlfleet_crawl_pages_handed_on_total',
        help: "Crawl pages run in-process on a lease given back after a host's response (no BullMQ job of their own)",
        registers: [registry],
      });
      observe = (queue, outcome, ms) => {
        handedOn.inc();
        finished?.inc({ queue, outcome });
        duration?.observe({ queue, outcome }, ms / 1000);
      };
    },
    quiesce: () => pages.stopHandingOn(),
    async close() {
      await pages.stopHandingOn();
      await dispatcher.stop();
      memory.close();
      await content.close();
      await renderer?.close();
      subscriber?.disconnect();
      cancels.close();
      await sweep.stop();
      await pageQueues.close();
      await queue.close();
      await webhooks.close();
      commands.disconnect();
      await fetcher.close();
    },
  };
}
