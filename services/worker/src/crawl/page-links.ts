import type { ChildLink, Config } from '@crawlfleet/core';
import type { RobotsRules } from '@crawlfleet/tasks';
import type { CrawlContext } from './page-processor.js';
import type { RobotsCache } from './robots-cache.js';
import { type CrawlStore } from '@crawlfleet/crawl';

/**
 * In-scope links with robots.txt's word on each. The links of a page are
 * normalized and unique already (extractLinks). robots.txt is fetched only
 * for links the crawl can still claim (new, within maxPages), and for at
 * most CRAWL_MAX_ROBOTS_PER_PAGE new origins a page; links left out for
 * that are counted as skipped (`dropped`) and stay unclaimed, so another
 * page may bring them again. Links not reached within CRAWL_MAX_LINK_MS
 * are dropped the same way.
 */
export async function scopedChildren(
  deps: { store: CrawlStore; robots: RobotsCache; config: Config },
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
  const deadline = performance.now() + deps.config.crawlMaxLinkMs;
  let late = 0;
  for (const [index, link] of links.entries()) {
    if ((index & 7) === 7 && performance.now() > deadline) {
      late = links.length - index;
      break;
    }
    // Parsed once for the scope and robots.txt checks.
    const url = new URL(link);
    if (!context.scope.allows(url)) continue;
    const rules = context.options.respectRobots ? deps.robots.cached(url) : null;
    if (rules || !context.options.respectRobots)
      children.push({ url: link, allowed: rules ? rules.isAllowed(link) : true, fromSitemap: fromSitemap.has(link) });
    else unknown.push(link);
  }
  if (unknown.length === 0) return { children, dropped: late };
  const { room, fresh } = await deps.store.unclaimed(crawlId, unknown);
  const origins = new Map<string, RobotsRules | Promise<RobotsRules>>();
  const picked: string[] = [];
  let dropped = late;
  for (const [index, link] of unknown.entries()) {
    if (!fresh[index]) continue;
    const origin = new URL(link).origin;
    if (picked.length >= room || (!origins.has(origin) && origins.size >= deps.config.crawlMaxRobotsPerPage)) {
      dropped++;
      continue;
    }
    if (!origins.has(origin)) origins.set(origin, deps.robots.rulesFor(link));
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
