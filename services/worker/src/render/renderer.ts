import type { Config } from '@crawlfleet/core/runtime';
import {
  FetchFailedError,
  addressPolicy,
  type AddressPolicy,
  type LookupFunction,
  type PageLimits,
} from '@crawlfleet/tasks';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PageFetch } from '../crawl/page-processor.js';
import { Browsers } from './browsers.js';
import { treeRssBytes } from './process-tree.js';
import { renderPage, type RenderLimits } from './render-page.js';
import { RendererWatch } from './renderer-watch.js';
import { RenderMemoryError } from '@crawlfleet/core/errors';

/** Test hooks: an address policy and DNS of their own (the fetches' too). */
export interface FetchOverrides {
  policy?: AddressPolicy;
  resolve?: LookupFunction;
}

/** A render worker's pages: its browser, how a page is rendered, its metrics. */
export interface Renderer {
  fetchPage: PageFetch;
  /** Starts the browser: throws SandboxUnavailableError when the sandbox cannot start and is required. */
  ready(): Promise<void>;
  /** Adds the render metrics to the worker's registry. */
  register(registry: Registry): void;
  close(): Promise<void>;
}

/** Starts a render worker's renderer: one browser (started on the first page), a context and proxy per page. */
export function startRenderer(
  config: Config,
  logger: Logger,
  limits: PageLimits,
  overrides: FetchOverrides = {},
): Renderer {
  const restarts = new Counter({
    name: 'crawlfleet_browser_restarts_total',
    help: 'Browsers started again by this worker, by reason (recycle: RENDER_RECYCLE_PAGES; crash)',
    labelNames: ['reason'],
    registers: [],
  });
  const duration = new Histogram({
    name: 'crawlfleet_render_duration_seconds',
    help: 'Time to render one page, by outcome',
    labelNames: ['outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [],
  });
  const rss = new Gauge({
    name: 'crawlfleet_render_worker_rss_bytes',
    help: 'Resident memory of the render worker and its browser processes (proportional: shared pages split)',
    registers: [],
    collect() {
      this.set(treeRssBytes());
    },
  });
  const browsers = new Browsers({
    executablePath: config.chromiumPath,
    recyclePages: config.renderRecyclePages,
    sandbox: config.renderSandbox,
    user: config.renderUser,
    maxPageMb: config.renderMaxPageMb,
    logger,
    onRestart: (reason) => restarts.inc({ reason }),
  });
  const watch = new RendererWatch(config.renderMaxPageMb * 1024 * 1024, logger);
  const renderLimits: RenderLimits = {
    userAgent: config.crawlUserAgent,
    policy: overrides.policy ?? addressPolicy(config.crawlAllowPrivateNetworks),
    resolve: overrides.resolve,
    timeoutMs: config.crawlTimeoutMs,
    connectTimeoutMs: config.crawlConnectTimeoutMs,
    maxBytes: config.crawlMaxBytes,
    maxRedirects: config.crawlMaxRedirects,
    settleMaxMs: config.renderSettleMaxMs,
    page: limits,
    crashed: (url) =>
      watch.killedLately
        ? new RenderMemoryError(url, String(config.renderMaxPageMb))
        : new FetchFailedError(url, 'the page crashed its renderer'),
  };
  return {
    // A render is one request to the host as far as politeness goes (each redirect hop to its own host, through
    // `onRedirect`): conditional headers are not sent (the browser would get a 304 without a DOM), so a rendered
    // recrawl compares content hashes instead.
    fetchPage: async (input, signal, fetched, _headers, onRedirect) => {
      const stop = duration.startTimer();
      try {
        const result = await watch.during(() =>
          browsers.use((browser) => renderPage(browser, input, renderLimits, signal, fetched, onRedirect)),
        );
        stop({ outcome: 'rendered' });
        return result;
      } catch (err) {
        stop({ outcome: 'failed' });
        throw err;
      }
    },
    register(registry) {
      registry.registerMetric(restarts);
      registry.registerMetric(duration);
      registry.registerMetric(rss);
    },
    ready: () => browsers.ready(),
    close: () => browsers.close(),
  };
}
