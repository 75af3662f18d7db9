import type { CrawlOptions } from '@crawlfleet/core';
import { canonicalUrl } from '@crawlfleet/core/canonical-url';
import { globMatcher } from './glob.js';

/** The seed's host without a leading `www.`: the "domain" scope's root. */
function siteRoot(hostname: string): string {
  return hostname.replace(/^www\./, '');
}

/**
 * The folder a `path` scope keeps to: the seed's path without a trailing
 * slash, or a file's directory (a last segment with a dot names a file):
 * `/docs/` and `/docs` keep `/docs`, `/docs/a.html` keeps `/docs`, `/` keeps everything ('').
 */
export function scopeFolder(pathname: string): string {
  const segments = pathname.split('/');
  const last = segments.at(-1) ?? '';
  if (last === '' || last.includes('.')) segments.pop();
  return segments.join('/');
}

/**
 * Decides which links a crawl follows: scope (the seed's host, its domain
 * and subdomains, or any host) and include/exclude globs on the path (with
 * the query, so `**\/*.pdf` and `/search?*` both work), in linear time (glob.ts).
 */
export class CrawlScopeFilter {
  private readonly seed: URL;
  /** The `path` scope's folder. */
  private readonly folder: string;
  private readonly include: ((path: string) => boolean) | null;
  private readonly exclude: ((path: string) => boolean) | null;

  constructor(
    seed: string,
    private readonly options: Pick<CrawlOptions, 'scope' | 'include' | 'exclude'> &
      Partial<Pick<CrawlOptions, 'ignoreQueryParameters' | 'keepTrackingParameters'>>,
  ) {
    this.seed = new URL(seed);
    this.folder = scopeFolder(this.seed.pathname);
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
      case 'path':
        return url.host === this.seed.host;
      case 'domain': {
        const root = siteRoot(this.seed.hostname);
        return url.hostname === root || url.hostname.endsWith(`.${root}`);
      }
      case 'any':
        return true;
    }
  }

  private underFolder(pathname: string): boolean {
    const { folder } = this;
    return folder === '' || pathname === folder || (pathname.startsWith(folder) && pathname[folder.length] === '/');
  }

  /** True when the (normalized) URL is to be crawled. */
  allows(raw: string | URL): boolean {
    const url = typeof raw === 'string' ? new URL(raw) : raw;
    if (!this.hostInScope(url)) return false;
    if (this.options.scope === 'path' && !this.underFolder(url.pathname)) return false;
    const paths = [url.pathname, `${url.pathname}${url.search}`];
    if (this.include && !paths.some((path) => this.include!(path))) return false;
    if (this.exclude && paths.some((path) => this.exclude!(path))) return false;
    return true;
  }
}
