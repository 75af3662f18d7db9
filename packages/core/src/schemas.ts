import { Type, type Static } from 'typebox';
import { CRAWL_EVENTS } from './webhooks.js';

/*
 * Each job type's input and result, declared once. The API validates requests
 * with the input schemas and documents replies with the result schemas; the
 * worker trusts data that passed them.
 */

/** `sqrt` input: a finite number >= 0 (JSON cannot carry NaN; 1e999 is rejected as not finite). */
export const SqrtInput = Type.Object(
  // JSON.parse turns 1e999 into Infinity; the maximum keeps it out.
  { value: Type.Number({ minimum: 0, maximum: Number.MAX_VALUE, description: 'A finite number >= 0' }) },
  { additionalProperties: false },
);
export type SqrtInput = Static<typeof SqrtInput>;

export const SqrtResult = Type.Object({
  value: Type.Number(),
  sqrt: Type.Number(),
});
export type SqrtResult = Static<typeof SqrtResult>;

/** `fibonacci` input; the upper bound comes from `FIBONACCI_MAX_N`. */
export function fibonacciInput(maxN: number) {
  return Type.Object(
    { n: Type.Integer({ minimum: 0, maximum: maxN, description: `An integer 0..${maxN}` }) },
    { additionalProperties: false },
  );
}
export type FibonacciInput = Static<ReturnType<typeof fibonacciInput>>;

export const FibonacciResult = Type.Object({
  n: Type.Integer(),
  value: Type.String({ description: 'The exact decimal value' }),
  digits: Type.Integer(),
});
export type FibonacciResult = Static<typeof FibonacciResult>;

/** JSON Schema format of a URL the crawler can fetch: see {@link isFetchableUrl}. */
export const HTTP_URL_FORMAT = 'http-url';

/**
 * Whether `value` is an absolute http:// or https:// URL that the URL parser
 * takes, without whitespace or credentials (the crawler never sends
 * user:password@): not `ftp://a.test/`, `http:/a.test`, `http://a.test:99999/`.
 */
export function isFetchableUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value) || /\s/.test(value)) return false;
  try {
    const url = new URL(value);
    return url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** What a URL field must be, in the words of a validation error. */
export const HTTP_URL_RULE = 'must be an absolute http:// or https:// URL, without user:password@';

/** What a page's content can be returned as. */
export const CONTENT_FORMATS = ['markdown', 'text', 'html', 'links'] as const;
export type ContentFormat = (typeof CONTENT_FORMATS)[number];

/** `formats` and `onlyMainContent`, on crawl jobs and crawls alike. */
const contentFields = {
  formats: Type.Optional(
    Type.Array(Type.Enum(CONTENT_FORMATS), {
      maxItems: CONTENT_FORMATS.length,
      uniqueItems: true,
      description: 'What of the page to return beside its metadata: markdown, text, html, links',
    }),
  ),
  onlyMainContent: Type.Optional(
    Type.Boolean({
      default: true,
      description: 'Drop nav, header, footer, aside, scripts, styles and boilerplate from markdown, text and html',
    }),
  ),
};

/** `crawl` input: one http(s) URL, and what of the page to return. */
export const CrawlInput = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 8192,
      format: HTTP_URL_FORMAT,
      description: 'An absolute http:// or https:// URL, without credentials',
    }),
    ...contentFields,
  },
  { additionalProperties: false },
);
export type CrawlInput = Static<typeof CrawlInput>;

/** The content fields a result or page record carries when `formats` asked for them. */
const contentResult = {
  markdown: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  html: Type.Optional(Type.String()),
  truncated: Type.Optional(
    Type.Boolean({ description: 'Content was cut at CRAWL_MAX_STORED_BYTES, or not stored (crawl over its cap)' }),
  ),
  warning: Type.Optional(Type.String({ description: 'Why the content is not what was asked (e.g. text only)' })),
};

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$";

/** `webhook`: where to POST which events of a crawl or job. */
export function webhookSpec(events: readonly string[]) {
  return Type.Object(
    {
      url: Type.String({ minLength: 1, maxLength: 2048, format: HTTP_URL_FORMAT }),
      events: Type.Array(Type.Enum(events), { minItems: 1, maxItems: events.length, uniqueItems: true }),
      secret: Type.Optional(
        Type.String({ minLength: 1, maxLength: 256, description: 'Signs each delivery: x-crawlfleet-signature' }),
      ),
      headers: Type.Optional(
        Type.Record(Type.String({ pattern: HEADER_NAME }), Type.String({ maxLength: 1024, pattern: '^[^\\r\\n]*$' }), {
          maxProperties: 20,
          description: 'Sent with every delivery',
        }),
      ),
    },
    { additionalProperties: false },
  );
}

/** What a page says about itself, on every crawl result and page record. */
export const PageMetadata = Type.Object({
  title: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()], { description: '<meta name="description">' }),
  canonical: Type.Union([Type.String(), Type.Null()], { description: '<link rel="canonical">, absolute' }),
  lang: Type.Union([Type.String(), Type.Null()], { description: '<html lang>' }),
  etag: Type.Union([Type.String(), Type.Null()]),
  lastModified: Type.Union([Type.String(), Type.Null()]),
  contentHash: Type.Union([Type.String(), Type.Null()], {
    description: 'sha256 hex of the page text, whitespace collapsed; null for bodies not parsed',
  }),
});
export type PageMetadata = Static<typeof PageMetadata>;

export const CrawlResult = Type.Object({
  url: Type.String(),
  finalUrl: Type.String(),
  status: Type.Integer(),
  contentType: Type.Union([Type.String(), Type.Null()]),
  title: Type.Union([Type.String(), Type.Null()]),
  links: Type.Array(Type.String()),
  bytes: Type.Integer(),
  durationMs: Type.Number(),
  metadata: PageMetadata,
  ...contentResult,
});
export type CrawlResult = Static<typeof CrawlResult>;

/** Input and result schemas of every job type, given the configured limits. */
export function jobSchemas(limits: { fibonacciMaxN: number }) {
  return {
    sqrt: { input: SqrtInput, result: SqrtResult },
    fibonacci: { input: fibonacciInput(limits.fibonacciMaxN), result: FibonacciResult },
    crawl: { input: CrawlInput, result: CrawlResult },
  } as const;
}

/** Input type of each job type. */
export interface JobInputs {
  sqrt: SqrtInput;
  fibonacci: FibonacciInput;
  crawl: CrawlInput;
}

/** Result type of each job type. */
export interface JobResults {
  sqrt: SqrtResult;
  fibonacci: FibonacciResult;
  crawl: CrawlResult;
}

/** How a crawl uses the site's sitemaps. */
export const SITEMAP_MODES = ['include', 'only', 'skip'] as const;
export type SitemapMode = (typeof SITEMAP_MODES)[number];

/** Scopes a crawl can keep to. */
export const CRAWL_SCOPES = ['host', 'domain', 'any'] as const;
export type CrawlScope = (typeof CRAWL_SCOPES)[number];

const glob = Type.String({ minLength: 1, maxLength: 500 });

/** `POST /v1/crawls`: a seed and the limits of a recursive crawl. */
export const CrawlRequest = Type.Object(
  {
    url: CrawlInput.properties.url,
    maxDepth: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 100,
        default: 2,
        description: 'Links followed from the seed; 0 fetches only the seed',
      }),
    ),
    maxPages: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000, description: 'Pages fetched at most' }),
    ),
    scope: Type.Optional(
      Type.Enum(CRAWL_SCOPES, {
        default: 'host',
        description: 'host: the seed host; domain: it and its subdomains; any',
      }),
    ),
    include: Type.Optional(
      Type.Array(glob, {
        maxItems: 100,
        description: 'Path globs a URL must match one of (the seed is always fetched)',
      }),
    ),
    exclude: Type.Optional(Type.Array(glob, { maxItems: 100, description: 'Path globs a URL must match none of' })),
    respectRobots: Type.Optional(Type.Boolean({ default: true })),
    delayMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 3_600_000,
        description:
          'At most one request per this many ms to a host for this crawl (<= CRAWL_MAX_DELAY_MS); ' +
          'robots.txt Crawl-delay also applies',
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
        default: 'include',
        description:
          "include: also the pages of the site's sitemaps (robots.txt Sitemap: lines, else /sitemap.xml), at depth 1; " +
          'only: the seed and those pages, no links followed; skip',
      }),
    ),
    ...contentFields,
  },
  { additionalProperties: false },
);
export type CrawlRequest = Static<typeof CrawlRequest>;

/** A crawl's options with every default filled in. */
export interface CrawlOptions {
  maxDepth: number;
  maxPages: number;
  scope: CrawlScope;
  include: string[];
  exclude: string[];
  respectRobots: boolean;
  /** null: from robots.txt Crawl-delay, else 0. */
  delayMs: number | null;
  formats: ContentFormat[];
  onlyMainContent: boolean;
  sitemap: SitemapMode;
  /** null: CRAWL_HOST_CONCURRENCY alone. */
  maxConcurrencyPerHost: number | null;
}

/** Fills in the documented defaults. */
export function crawlOptions(request: Omit<CrawlRequest, 'url' | 'webhook'>): CrawlOptions {
  return {
    maxDepth: request.maxDepth ?? 2,
    maxPages: request.maxPages ?? 1000,
    scope: request.scope ?? 'host',
    include: request.include ?? [],
    exclude: request.exclude ?? [],
    respectRobots: request.respectRobots ?? true,
    delayMs: request.delayMs ?? null,
    formats: request.formats ?? [],
    onlyMainContent: request.onlyMainContent ?? true,
    sitemap: request.sitemap ?? 'include',
    maxConcurrencyPerHost: request.maxConcurrencyPerHost ?? null,
  };
}

/** One fetched (or failed, or skipped) page of a crawl. */
export const PageRecord = Type.Object({
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
  duplicateOf: Type.Optional(
    Type.String({ description: 'The first page of this crawl with the same contentHash; its links were not followed' }),
  ),
  ...contentResult,
});
export type PageRecord = Static<typeof PageRecord>;

export const CrawlStats = Type.Object({
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
});
export type CrawlStats = Static<typeof CrawlStats>;

export const CRAWL_STATES = ['running', 'completed', 'cancelled'] as const;
export type CrawlState = (typeof CRAWL_STATES)[number];

/** A crawl job's data on the `crawl` queue: one page of a crawl. */
export interface CrawlPageData {
  crawlId: string;
  url: string;
  depth: number;
  /** Pauses of the host (429/503) this page has waited out. */
  hostWaits?: number;
}
