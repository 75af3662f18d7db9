import { Type, type Static } from 'typebox';
import { CrawlInput, PageMetadata, contentFields, contentResult, renderFields, webhookSpec } from './schemas.js';
import { CRAWL_EVENTS } from './webhooks.js';
import { CRAWL_DEFAULTS } from './crawl-record.js';

/* The schemas of recursive crawls: the request, its options, page records and stats. */

/** How a crawl uses the site's sitemaps. */
export const SITEMAP_MODES = ['include', 'only', 'skip'] as const;
export type SitemapMode = (typeof SITEMAP_MODES)[number];

/** Scopes a crawl can keep to. */
export const CRAWL_SCOPES = ['host', 'path', 'domain', 'any'] as const;
export type CrawlScope = (typeof CRAWL_SCOPES)[number];

const glob = Type.String({ minLength: 1, maxLength: 500 });

/**
 * `POST /v1/crawls`: a seed and the limits of a recursive crawl. Defaults are
 * in the descriptions, not `default` keywords, which validation would fill in:
 * a recrawl must tell what the request gave from what it left to the old crawl.
 */
export const CrawlRequest = Type.Object(
  {
    url: Type.Optional(CrawlInput.properties.url),
    maxDepth: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 100,
        description: `Links followed from the seed; 0 fetches only the seed (default ${CRAWL_DEFAULTS.maxDepth})`,
      }),
    ),
    maxPages: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description: `Pages fetched at most (default ${CRAWL_DEFAULTS.maxPages})`,
      }),
    ),
    scope: Type.Optional(
      Type.Enum(CRAWL_SCOPES, {
        description:
          "host (the default): the seed's host; path: the seed's host, under the seed's path (a file's directory); " +
          'domain: the host and its subdomains; any',
      }),
    ),
    include: Type.Optional(
      Type.Array(glob, {
        maxItems: 100,
        description: 'Path globs a URL must match one of, each starting with / or * (the seed is always fetched)',
      }),
    ),
    exclude: Type.Optional(Type.Array(glob, { maxItems: 100, description: 'Path globs a URL must match none of' })),
    respectRobots: Type.Optional(
      Type.Boolean({ description: `Obey robots.txt (default ${CRAWL_DEFAULTS.respectRobots})` }),
    ),
    ignoreQueryParameters: Type.Optional(
      Type.Boolean({
        description: `Drop every URL query: /a?x=1 and /a are one page (default ${CRAWL_DEFAULTS.ignoreQueryParameters})`,
      }),
    ),
    keepTrackingParameters: Type.Optional(
      Type.Boolean({ description: 'Keep utm_*, fbclid, gclid and the like in URLs (default false: dropped)' }),
    ),
    delayMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 3_600_000,
        description:
          'At most one request per this many ms to a host for this crawl (<= CRAWL_MAX_DELAY_MS); ' +
          'robots.txt Crawl-delay also applies',
      }),
    ),
    recrawlOf: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'A crawl to recrawl: its pages are asked for conditionally, records say what changed',
      }),
    ),
    maxDurationMs: Type.Optional(
      Type.Integer({
        minimum: 1000,
        maximum: 30 * 86_400_000,
        description: 'Past this long after its start the crawl claims no more pages; queued ones are dropped',
      }),
    ),
    maxBytes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1e15,
        description: 'Past this many body bytes fetched the crawl claims no more pages; queued ones are dropped',
      }),
    ),
    maxConcurrencyPerHost: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        description: 'Requests in flight to one host for this crawl, at most CRAWL_HOST_CONCURRENCY',
      }),
    ),
    webhook: Type.Optional(webhookSpec(CRAWL_EVENTS)),
    sitemap: Type.Optional(
      Type.Enum(SITEMAP_MODES, {
        description:
          "include (the default): also the pages of the site's sitemaps " +
          '(robots.txt Sitemap: lines, else /sitemap.xml), at depth 1; ' +
          'only: the seed and those pages, no links followed; skip',
      }),
    ),
    ...contentFields,
    ...renderFields,
  },
  { title: 'CrawlRequest', additionalProperties: false },
);
export type CrawlRequest = Static<typeof CrawlRequest>;

/** A crawl request's options: every field but its seed and webhook. */
type OptionFields = Omit<CrawlRequest, 'url' | 'webhook'>;

/** Options whose default is none: null (delayMs: from robots.txt Crawl-delay, else 0; caps and budgets: none). */
const UNSET_BY_DEFAULT = ['delayMs', 'maxConcurrencyPerHost', 'maxDurationMs', 'maxBytes', 'recrawlOf'] as const;
type UnsetByDefault = (typeof UNSET_BY_DEFAULT)[number];

const givenOptions = Type.Required(Type.Omit(CrawlRequest, ['url', 'webhook']));

/**
 * A crawl's options as shown (`options` of a crawl): the request's fields,
 * each present, null where none is the default. Derived, like
 * {@link CrawlOptions}, so an option added to the request shows at once.
 */
export const CrawlOptionsView = Type.Object(
  // In the request's order: a crawl's options read as the request's fields do.
  Object.fromEntries(
    Object.entries(givenOptions.properties).map(([name, schema]) => [
      name,
      (UNSET_BY_DEFAULT as readonly string[]).includes(name) ? Type.Union([schema, Type.Null()]) : schema,
    ]),
  ),
  { title: 'CrawlOptions' },
);

/**
 * A crawl's options with every default filled in ({@link CRAWL_DEFAULTS}),
 * as stored and shown: derived from the request's schema, so an option is
 * added in one place (the schema) and its default beside it.
 */
export type CrawlOptions = {
  -readonly [K in keyof OptionFields]-?:
    Exclude<OptionFields[K], undefined> | (K extends UnsetByDefault ? null : never);
};

export { CRAWL_DEFAULTS, crawlOptions } from './crawl-record.js';

/** One fetched (or failed, or skipped) page of a crawl. */
export const PageRecord = Type.Object(
  {
    url: Type.String(),
    depth: Type.Integer(),
    status: Type.Union([Type.Integer(), Type.Null()]),
    title: Type.Union([Type.String(), Type.Null()]),
    links: Type.Union([Type.Integer(), Type.Array(Type.String())], {
      description: 'Links found on the page: their number, or the links themselves with formats: ["links"]',
    }),
    error: Type.Union([Type.String(), Type.Null()]),
    finalUrl: Type.Union([Type.String(), Type.Null()]),
    contentType: Type.Union([Type.String(), Type.Null()]),
    bytes: Type.Union([Type.Integer(), Type.Null()]),
    metadata: Type.Union([PageMetadata, Type.Null()], { description: 'null when the page was not fetched' }),
    change: Type.Optional(
      Type.Enum(['new', 'changed', 'unchanged', 'removed'], { description: 'Recrawls: against the crawl recrawled' }),
    ),
    duplicateOf: Type.Optional(
      Type.String({
        description: 'The first page of this crawl with the same contentHash; its links were not followed',
      }),
    ),
    ...contentResult,
  },
  { title: 'PageRecord' },
);
export type PageRecord = Static<typeof PageRecord>;

export const CrawlStats = Type.Object(
  {
    discovered: Type.Integer(),
    queued: Type.Integer(),
    fetched: Type.Integer(),
    failed: Type.Integer(),
    skipped: Type.Integer(),
    storedBytes: Type.Integer({
      description: 'Bytes of page content stored (formats), up to CRAWL_MAX_STORED_BYTES_PER_CRAWL',
    }),
    notStored: Type.Integer({ description: 'Fetched pages whose content was not stored: the crawl was at its cap' }),
    fromSitemaps: Type.Integer({ description: 'Pages claimed from sitemaps' }),
    new: Type.Integer({ description: 'Recrawls: pages the crawl it recrawls had not fetched' }),
    changed: Type.Integer({ description: 'Recrawls: pages whose content changed' }),
    unchanged: Type.Integer({ description: 'Recrawls: pages answered 304 or with the same contentHash' }),
    removed: Type.Integer({ description: 'Recrawls: pages of the old crawl not reached (once completed)' }),
    waitingForHost: Type.Integer({
      description: "Pages in the frontier now: waiting for their host's turn, or handed out and not finished",
    }),
  },
  { title: 'CrawlStats' },
);
export type CrawlStats = Static<typeof CrawlStats>;

/** A crawl's states; `failed` is a crawl that ended with nothing fetched and a failure (stored as completed). */
export const CRAWL_STATES = ['running', 'completed', 'cancelled', 'failed'] as const;
export type CrawlState = (typeof CRAWL_STATES)[number];

/** A crawl job's data on the `crawl` queue: one page of a crawl. */
export interface CrawlPageData {
  crawlId: string;
  url: string;
  depth: number;
  /** Pauses of the host (429/503) this page has waited out. */
  hostWaits?: number;
  /** A redirect hop the page waited to fetch (its host had no lease free): the fetch resumes there. */
  resumeAt?: string;
  /** The frontier's hand-out: the lease held on `host` (the page's, or its resume hop's), in `shard`'s `lane`. */
  lease?: string;
  host?: string;
  shard?: number;
  lane?: 'p' | 'r';
  /** Times the page went back to the frontier after a retryable failure or a lapsed claim. */
  tries?: number;
}
