import type { CrawlOptions } from '@crawlfleet/core';
import { canonicalUrl } from '@crawlfleet/core/runtime';
import { globMatcher } from './glob.js';

/** The seed's host without a leading `www.`: the "domain" scope's root. */
function siteRoot(hostname: string): string {
  return hostname.replace(/^www\./, '');
}

/**
 * Decides which links a crawl follows: scope (the seed's host, its domain
 * and subdomains, or any host) and include/exclude globs on the path (with
 * the query, so `**\/*.pdf` and `/search?*` both work), in linear time (glob.ts).
 */
export class CrawlScopeFilter {
  private readonly seed: URL;
  private readonly include: ((path: string) => boolean) | null;
  private readonly exclude: ((path: string) => boolean) | null;

  constructor(
    seed: string,
    private readonly options: Pick<CrawlOptions, 'scope' | 'include' | 'exclude'> &
      Partial<Pick<CrawlOptions, 'ignoreQueryParameters' | 'keepTrackingParameters'>>,
  ) {
    this.seed = new URL(seed);
    this.include = options.include.length ? globMatcher(options.include) : null;
    this.exclude = options.exclude.length ? globMatcher(options.exclude) : null;
  }

  /**
   * A normalized URL (normalizeUrl) in this crawl's canonical form: tracking
   * parameters dropped unless it keeps them, the query dropped when it ignores them.
   */
  canonical(url: string): string {
    const { ignoreQueryParameters, keepTrackingParameters } = this.options;
    return url.includes('?') ? canonicalUrl(url, { ignoreQueryParameters, keepTrackingParameters }) : url;
  }

  /** True when the URL's host is in the crawl's scope (what a sitemap file is held to: globs are for pages). */
  hostAllows(raw: string | URL): boolean {
    return this.hostInScope(typeof raw === 'string' ? new URL(raw) : raw);
  }

  private hostInScope(url: URL): boolean {
    switch (this.options.scope) {
      case 'host':
        return url.host === this.seed.host;
      case 'domain': {
        const root = siteRoot(this.seed.hostname);
        return url.hostname === root || url.hostname.endsWith(`.${root}`);
      }
      case 'any':
        return true;
    }
  }

  /** True when the (normalized) URL is to be crawled. */
  allows(raw: string | URL): boolean {
    const url = typeof raw === 'string' ? new URL(raw) : raw;
    if (!this.hostInScope(url)) return false;
    const paths = [url.pathname, `${url.pathname}${url.search}`];
    if (this.include && !paths.some((path) => this.include!(path))) return false;
    if (this.exclude && paths.some((path) => this.exclude!(path))) return false;
    return true;
  }
}
