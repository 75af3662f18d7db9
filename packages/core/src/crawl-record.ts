import { hash } from 'node:crypto';
import type { CrawlOptions, CrawlRequest, CrawlState, CrawlStats, PageRecord } from './crawl-schemas.js';

/* What the crawl store reads and writes, apart from how (crawl-store.ts). */

/** A crawl as the store holds it. */
export interface CrawlRecord {
  id: string;
  /** Who started it (`default` for crawls from before tenants). */
  tenant: string;
  state: CrawlState;
  seed: string;
  options: CrawlOptions;
  stats: CrawlStats;
  /** Why it stopped claiming: a budget, maxPages; null while running or when everything reachable was fetched. */
  stopReason: 'maxPages' | 'maxDuration' | 'maxBytes' | 'quota' | null;
  createdAt: string;
  finishedAt: string | null;
}

/** A link found on a page, as offered to CrawlStore.finishPage. */
export interface ChildLink {
  url: string;
  /** false: in scope but refused (robots.txt); counted as skipped, not fetched. */
  allowed: boolean;
  /** Found in a sitemap, not on the page (counted in stats.fromSitemaps). */
  fromSitemap?: boolean;
  /** A sitemap file to read (`url` is `sitemap:<its URL>`): work of its own host, not a page. */
  sitemapFile?: boolean;
}

/** The prefix of a sitemap file's URL in the frontier and the crawl's claims. */
export const SITEMAP_FILE = 'sitemap:';

/** The URL to fetch for a claimed URL: a sitemap file's own, else the page's. */
export function fetchUrlOf(url: string): string {
  return url.startsWith(SITEMAP_FILE) ? url.slice(SITEMAP_FILE.length) : url;
}

/** A page that answered what was asked: 2xx, or 304 to a recrawl's conditional request. */
export function answeredOk(status: number | null): boolean {
  return status !== null && ((status >= 200 && status < 300) || status === 304);
}

/**
 * An ended crawl that failed: no page answered 2xx/304, and at least one
 * failed or answered 4xx/5xx (`answered`: the meta's count of pages that
 * answered ok; absent for crawls from before it, which failed with nothing fetched).
 */
export function endedFailed(stats: Pick<CrawlStats, 'fetched' | 'failed'>, answered: string | undefined): boolean {
  if (answered === undefined) return stats.fetched === 0 && stats.failed > 0;
  return Number(answered) === 0 && stats.fetched + stats.failed > 0;
}

/** Why a page failed, for a crawl's totals: `HTTP 404` for a 4xx/5xx answer, else its error's code ('' for none). */
export function failureLabel(record: { status: number | null; error: string | null }, outcome: string): string {
  if (outcome === 'fetched') return record.status !== null && record.status >= 400 ? `HTTP ${record.status}` : '';
  if (outcome !== 'failed' || !record.error) return '';
  return /^CF_ERR_[A-Z_]{1,60}/.exec(record.error)?.[0] ?? 'other';
}

/** Main content at least this long (characters of its markdown or text) is what makes two pages duplicates. */
export const MAIN_DUPLICATE_CHARS = 500;

/**
 * What makes a page a duplicate of an earlier one in its crawl: the same
 * main content when it was computed and is long enough to mean something
 * (different menus and footers around one article are one page), else the
 * same whole-page text (listing and tag pages with little main content are
 * not folded together). '' for a page without text.
 */
export function duplicateKey(record: PageRecord): string {
  const main = record.metadata?.mainContentHash;
  const length = (record.text ?? record.markdown ?? '').length;
  if (main && length >= MAIN_DUPLICATE_CHARS) return `main:${main}`;
  return record.metadata?.contentHash ?? '';
}

/** The hash that stands for a normalized URL in a crawl's seen-set. */
export function urlHash(url: string): string {
  // One-shot hash() rather than createHash(): cheaper for short inputs, and it runs for every link (bench/README.md).
  return hash('sha256', url, 'hex').slice(0, 32);
}

/** A page claimed by a crawl and not finished yet. */
export interface InflightPage {
  hash: string;
  url: string;
  depth: number;
}

/** What crawls stored before these options existed had instead. */
export const LEGACY_OPTIONS: Omit<
  CrawlOptions,
  'maxDepth' | 'maxPages' | 'scope' | 'include' | 'exclude' | 'respectRobots' | 'delayMs'
> = {
  ignoreQueryParameters: false,
  keepTrackingParameters: false,
  formats: [],
  onlyMainContent: true,
  sitemap: 'skip',
  maxConcurrencyPerHost: null,
  maxDurationMs: null,
  maxBytes: null,
  recrawlOf: null,
  render: false,
  renderWaitUntil: 'load',
  renderWaitMs: 0,
  renderResources: 'default',
};

export { crawlBase, crawlKeys } from './keys.js';

/** The counters of a crawl's stats, fields of its meta hash. */
export const COUNTERS = [
  'discovered',
  'queued',
  'fetched',
  'failed',
  'skipped',
  'storedBytes',
  'notStored',
  'fromSitemaps',
  'new',
  'changed',
  'unchanged',
  'removed',
] as const;

/**
 * Every crawl option's default: what a request leaves out gets this. The one
 * place defaults are written: `crawlOptions` fills them in (and checks that
 * every option of the schema has one, of its type), and the request schema's
 * descriptions quote them (crawl-schemas.ts).
 */
export const CRAWL_DEFAULTS = Object.freeze({
  maxDepth: 2,
  maxPages: 1000,
  scope: 'host',
  include: [],
  exclude: [],
  respectRobots: true,
  ignoreQueryParameters: false,
  keepTrackingParameters: false,
  delayMs: null,
  formats: [],
  onlyMainContent: true,
  sitemap: 'include',
  maxConcurrencyPerHost: null,
  maxDurationMs: null,
  maxBytes: null,
  recrawlOf: null,
  render: false,
  renderWaitUntil: 'settled',
  renderWaitMs: 0,
  renderResources: 'default',
} as const);

/** A request's options with {@link CRAWL_DEFAULTS} filled in: the crawl's stored options. */
export function crawlOptions(request: Omit<CrawlRequest, 'url' | 'webhook'>): CrawlOptions {
  // Fresh arrays: the defaults' are frozen and shared.
  const options: CrawlOptions = { ...CRAWL_DEFAULTS, include: [], exclude: [], formats: [] };
  const given = request as Partial<Record<keyof CrawlOptions, unknown>>;
  const filled = options as Record<keyof CrawlOptions, unknown>;
  for (const key of Object.keys(CRAWL_DEFAULTS) as (keyof CrawlOptions)[])
    if (given[key] !== undefined) filled[key] = given[key];
  return options;
}
