import { canonicalUrl } from '@crawlfleet/core/canonical-url';

/**
 * The form a URL is known by in a crawl: scheme and host lowercased, default
 * port and fragment dropped, query parameters sorted and empty ones (and an
 * empty query) dropped; null for anything but http(s). Tracking parameters
 * stay: whether they go is a crawl's choice (CrawlScopeFilter.canonical).
 * (WHATWG URL parsing already lowercases scheme and host, drops default ports
 * and turns `http://2130706433/` into `http://127.0.0.1/`.)
 */
export function normalizeUrl(raw: string, base?: string | URL): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim(), base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // In a serialized URL the first '#' starts the fragment (elsewhere it is
  // percent-encoded); slicing is much cheaper than the `hash` setter.
  const href = url.href;
  const hash = href.indexOf('#');
  const bare = hash < 0 ? href : href.slice(0, hash);
  return url.search === '' && !bare.endsWith('?') ? bare : canonicalUrl(bare, { keepTrackingParameters: true });
}
