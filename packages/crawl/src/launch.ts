import { randomUUID } from 'node:crypto';
import { type Config, type CrawlOptions, type WebhookSpec } from '@crawlfleet/core/runtime';
import { paceOf, type PageQueues } from './page-jobs.js';
import { type CrawlStore } from './crawl-store.js';

/** What a crawl is started with: its seed (canonical), its options as stored, its webhook and tenant. */
export interface CrawlLaunch {
  seed: string;
  options: CrawlOptions;
  webhook?: WebhookSpec;
  tenant: string;
}

/**
 * Where every crawl is created ({@link Crawls.start}, for the API and for
 * schedules' runs): the crawl is created with its seed
 * claimed, then the seed is queued in the frontier at the crawl's pace. A
 * seed that cannot be queued takes the crawl back: no crawl is left running
 * that nothing will ever fetch. @returns the new crawl's id
 */
export async function launchCrawl(
  deps: { store: CrawlStore; pages: PageQueues; config: Pick<Config, 'crawlMaxDelayMs'> },
  { seed, options, webhook, tenant }: CrawlLaunch,
): Promise<string> {
  const id = randomUUID();
  await deps.store.create(id, seed, options, webhook, tenant);
  try {
    await deps.pages.add(id, [seed], 0, options.render, paceOf(options, deps.config.crawlMaxDelayMs));
  } catch (err) {
    await deps.store.discard(id, tenant).catch(() => {});
    throw err;
  }
  return id;
}
