import { sitemapUrls, type SafeFetcher, type SitemapLimits } from '@crawlfleet/tasks';
import type { CrawlContext } from './page-processor.js';
import type { RobotsCache } from './robots-cache.js';

/**
 * The pages the site's sitemaps list: those robots.txt names, else
 * /sitemap.xml. A sitemap file is fetched only on a host in the crawl's
 * scope whose robots.txt allows it: one named by another host's robots.txt
 * or index is passed over without a request (and counted, as skipped).
 */
export async function sitemapLinks(
  deps: { robots: RobotsCache; fetcher: SafeFetcher; sitemapLimits: SitemapLimits },
  seed: string,
  context: CrawlContext,
  signal: AbortSignal | undefined,
): Promise<{ urls: string[]; passedOver: number }> {
  const rules = await deps.robots.rulesFor(seed);
  const roots = rules.sitemaps.length ? rules.sitemaps : [`${new URL(seed).origin}/sitemap.xml`];
  let passedOver = 0;
  const allowFile = async (file: string) => {
    const allowed =
      context.scope.hostAllows(file) &&
      (!context.options.respectRobots || (await deps.robots.rulesFor(file)).isAllowed(file));
    if (!allowed) passedOver += 1;
    return allowed;
  };
  const urls = await sitemapUrls(deps.fetcher, roots, deps.sitemapLimits, signal, allowFile);
  return { urls, passedOver };
}
