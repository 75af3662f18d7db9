import { SITEMAP_FILE, type ChildLink } from '@crawlfleet/core/runtime';
import { normalizeUrl } from '@crawlfleet/tasks';
import type { CrawlContext } from './page-processor.js';
import type { RobotsCache } from './robots-cache.js';

/*
 * Sitemap files are work of their own host, like pages: a seed claims its
 * site's sitemap files (those robots.txt names, else /sitemap.xml) as
 * children `sitemap:<url>`, which wait in the frontier under their host (its
 * leases, the crawl's delayMs, Crawl-delay, pauses) and are read by a page job
 * of their own (page-processor.ts); an index's files are claimed the same way,
 * a file's pages as pages from sitemaps. A crawl reads at most SITEMAP_MAX_FILES.
 */

/**
 * The sitemap files at `urls` the crawl may read, as children: on a host in
 * the crawl's scope whose robots.txt allows them. One named by another
 * host's robots.txt or index is passed over without a request (counted, as skipped).
 */
export async function sitemapFileChildren(
  robots: RobotsCache,
  urls: string[],
  context: CrawlContext,
): Promise<{ children: ChildLink[]; passedOver: number }> {
  const children: ChildLink[] = [];
  let passedOver = 0;
  for (const url of new Set(urls.map((loc) => normalizeUrl(loc)).filter((loc) => loc !== null))) {
    const allowed =
      context.scope.hostAllows(url) && (!context.options.respectRobots || (await robots.rulesFor(url)).isAllowed(url));
    if (allowed) children.push({ url: `${SITEMAP_FILE}${url}`, allowed: true, sitemapFile: true });
    else passedOver += 1;
  }
  return { children, passedOver };
}

/** A seed's sitemap files: those its robots.txt names, else /sitemap.xml. */
export async function sitemapRoots(
  robots: RobotsCache,
  seed: string,
  context: CrawlContext,
): Promise<{ children: ChildLink[]; passedOver: number }> {
  const rules = await robots.rulesFor(seed);
  const roots = rules.sitemaps.length ? rules.sitemaps : [`${new URL(seed).origin}/sitemap.xml`];
  return sitemapFileChildren(robots, roots, context);
}
