import { defineKind, loadCore } from './kind.js';

/*
 * The kinds the worker's own machinery runs: a crawl (a single page, or a
 * recursive crawl's pages handed out by the frontier), a page through a
 * browser, a webhook delivery. The crawl worker parses pages on its main
 * thread, so it gets a larger young generation than the others, where the
 * memory saved still outweighs the rate lost (bench/README.md).
 */

/** A page, or a whole site (`POST /v1/crawls` starts recursive crawls of this kind's pages). */
export const crawlKind = defineKind({
  name: 'crawl',
  submitted: true,
  summary: 'fetch one page and report its links, metadata and content',
  concurrency: () => 32,
  nodeArgs: ['--max-semi-space-size=8'],
  schemas: async () => {
    const { CrawlInput, CrawlResult } = await loadCore();
    return { input: CrawlInput, result: CrawlResult };
  },
  run: { mode: 'engine' },
});

/**
 * One run of a crawl schedule: a BullMQ job scheduler adds one a period to
 * the crawl queue under this name, and the crawl worker that takes it starts
 * the crawl through the crawls' door (packages/crawl's schedules.ts).
 */
export const crawlScheduleKind = defineKind({
  name: 'crawl-schedule',
  submitted: false,
  summary: 'start one run of a crawl schedule (POST /v1/schedules/crawls makes its job scheduler)',
  rides: 'crawl',
  concurrency: () => 1,
  nodeArgs: [],
  run: { mode: 'engine' },
});

/** Webhook deliveries: they wait on the network. */
export const webhookKind = defineKind({
  name: 'webhook',
  submitted: false,
  summary: 'deliver one webhook event',
  concurrency: () => 16,
  nodeArgs: [],
  run: { mode: 'engine' },
});

/** Crawl jobs and pages with `render: true`: a browser context a job, each a renderer process, so memory bounds it. */
export const renderKind = defineKind({
  name: 'render',
  submitted: false,
  summary: 'fetch one page through headless Chromium',
  concurrency: () => 2,
  nodeArgs: ['--max-semi-space-size=8'],
  run: { mode: 'engine' },
});
