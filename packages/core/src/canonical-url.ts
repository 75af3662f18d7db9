/*
 * The canonical form of a URL's query, so that one page is fetched once
 * however its links write it: parameters sorted (by name, then value), an
 * empty query and empty parameters dropped, tracking parameters dropped
 * unless a crawl keeps them, or the whole query dropped (Firecrawl's
 * ignoreQueryParameters). Works on an already normalized URL (WHATWG
 * serialization, no fragment): parameters keep their own percent-encoding.
 */

/** How a crawl wants its URLs' queries. */
export interface CanonicalOptions {
  /** Drop the query altogether. */
  ignoreQueryParameters?: boolean;
  /** Keep `utm_*`, `fbclid`, `gclid` and the like. */
  keepTrackingParameters?: boolean;
}

/** Parameters that only say where a visitor came from (besides every `utm_*`). */
const TRACKING = new Set([
  'fbclid',
  'gclid',
  'gclsrc',
  'dclid',
  'gbraid',
  'wbraid',
  'msclkid',
  'yclid',
  'mc_cid',
  'mc_eid',
  'igshid',
]);

function nameOf(parameter: string): string {
  const equals = parameter.indexOf('=');
  return equals < 0 ? parameter : parameter.slice(0, equals);
}

/** True for a tracking parameter's name (case-insensitive). */
export function isTrackingParameter(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('utm_') || TRACKING.has(lower);
}

/** Name first, then the whole parameter: `a=2&a-b=1&a=1` → `a=1&a=2&a-b=1`. */
function byNameThenValue(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/**
 * `href` (a normalized http(s) URL) with its query in canonical form.
 * Linear in the URL's length but for the sort of its parameters (URLs are
 * bounded by CRAWL_MAX_URL_LENGTH).
 */
export function canonicalUrl(href: string, options: CanonicalOptions = {}): string {
  const question = href.indexOf('?');
  if (question < 0) return href;
  const path = href.slice(0, question);
  if (options.ignoreQueryParameters) return path;
  const parameters: [string, string][] = [];
  for (const parameter of href.slice(question + 1).split('&')) {
    if (parameter === '') continue;
    const name = nameOf(parameter);
    if (!options.keepTrackingParameters && isTrackingParameter(name)) continue;
    parameters.push([name, parameter]);
  }
  if (parameters.length === 0) return path;
  if (parameters.length > 1) parameters.sort(byNameThenValue);
  return `${path}?${parameters.map(([, parameter]) => parameter).join('&')}`;
}
