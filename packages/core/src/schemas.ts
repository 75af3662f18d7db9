import { Type, type Static } from 'typebox';

/*
 * Each job type's input and result, declared once. The API validates requests
 * with the input schemas and documents replies with the result schemas; the
 * worker trusts data that passed them.
 */

/** `sqrt` input: a finite number >= 0 (JSON cannot carry NaN; 1e999 is rejected as not finite). */
export const SqrtInput = Type.Object(
  // JSON.parse turns 1e999 into Infinity; the maximum keeps it out.
  { value: Type.Number({ minimum: 0, maximum: Number.MAX_VALUE, description: 'A finite number >= 0' }) },
  { title: 'SqrtInput', additionalProperties: false },
);
export type SqrtInput = Static<typeof SqrtInput>;

export const SqrtResult = Type.Object(
  {
    value: Type.Number(),
    sqrt: Type.Number(),
  },
  { title: 'SqrtResult' },
);
export type SqrtResult = Static<typeof SqrtResult>;

/** `fibonacci` input; the upper bound comes from `FIBONACCI_MAX_N`. */
export function fibonacciInput(maxN: number) {
  return Type.Object(
    { n: Type.Integer({ minimum: 0, maximum: maxN, description: `An integer 0..${maxN}` }) },
    { title: 'FibonacciInput', additionalProperties: false },
  );
}
export type FibonacciInput = Static<ReturnType<typeof fibonacciInput>>;

export const FibonacciResult = Type.Object(
  {
    n: Type.Integer(),
    value: Type.String({ description: 'The exact decimal value' }),
    digits: Type.Integer(),
  },
  { title: 'FibonacciResult' },
);
export type FibonacciResult = Static<typeof FibonacciResult>;

import { HTTP_URL_FORMAT } from './http-url.js';

export { HTTP_URL_FORMAT, HTTP_URL_RULE, isFetchableUrl } from './http-url.js';

/** What a page's content can be returned as. */
export const CONTENT_FORMATS = ['markdown', 'text', 'html', 'links'] as const;
export type ContentFormat = (typeof CONTENT_FORMATS)[number];

/** `formats` and `onlyMainContent`, on crawl jobs and crawls alike. */
export const contentFields = {
  formats: Type.Optional(
    Type.Array(Type.Enum(CONTENT_FORMATS), {
      maxItems: CONTENT_FORMATS.length,
      uniqueItems: true,
      description: 'What of the page to return beside its metadata: markdown, text, html, links',
    }),
  ),
  onlyMainContent: Type.Optional(
    Type.Boolean({
      description:
        'Drop nav, header, footer, aside, scripts, styles and boilerplate from markdown, text and html (default true)',
    }),
  ),
};

/** When a rendered page counts as loaded (Playwright's waitUntil). */
export const RENDER_WAIT_UNTIL = ['settled', 'load', 'domcontentloaded', 'networkidle'] as const;
export type RenderWaitUntil = (typeof RENDER_WAIT_UNTIL)[number];
/** What a rendered page may load: `default` leaves out images, media and fonts. */
export const RENDER_RESOURCES = ['default', 'all'] as const;
export type RenderResources = (typeof RENDER_RESOURCES)[number];

/** `render` and its options, on crawl jobs and crawls alike: pages through headless Chromium (the render queue). */
export const renderFields = {
  render: Type.Optional(
    Type.Boolean({ description: 'Render the page in headless Chromium (the render queue) before reading it' }),
  ),
  renderWaitUntil: Type.Optional(
    Type.Enum(RENDER_WAIT_UNTIL, {
      description:
        'When the page counts as loaded: settled (the default: after load, once the network has been idle ' +
        '500 ms, at most RENDER_SETTLE_MAX_MS), load, domcontentloaded, networkidle',
    }),
  ),
  renderWaitMs: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 10_000, description: 'Extra wait after that, in ms (default 0)' }),
  ),
  renderResources: Type.Optional(
    Type.Enum(RENDER_RESOURCES, { description: 'default: no images, media or fonts; all: everything' }),
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
    ...renderFields,
  },
  { title: 'CrawlInput', additionalProperties: false },
);
export type CrawlInput = Static<typeof CrawlInput>;

/** The content fields a result or page record carries when `formats` asked for them. */
export const contentResult = {
  markdown: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  html: Type.Optional(Type.String()),
  truncated: Type.Optional(
    Type.Boolean({ description: 'Content was cut at CRAWL_MAX_STORED_BYTES, or not stored (crawl over its cap)' }),
  ),
  warning: Type.Optional(Type.String({ description: 'Why the content is not what was asked (e.g. text only)' })),
  rendered: Type.Optional(Type.Boolean({ description: 'true: read from the DOM headless Chromium rendered' })),
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
        Type.String({
          minLength: 1,
          maxLength: 256,
          description:
            'Signs each delivery (Standard Webhooks webhook-signature; a whsec_ secret is base64): never shown again',
        }),
      ),
      headers: Type.Optional(
        Type.Record(Type.String({ pattern: HEADER_NAME }), Type.String({ maxLength: 1024, pattern: '^[^\\r\\n]*$' }), {
          maxProperties: 20,
          description:
            'Sent with every delivery, never shown again; not authorization, cookie, host, content-length, ' +
            'transfer-encoding or webhook-*',
        }),
      ),
    },
    { title: 'Webhook', additionalProperties: false },
  );
}

/** What a page says about itself, on every crawl result and page record. */
export const PageMetadata = Type.Object(
  {
    title: Type.Union([Type.String(), Type.Null()]),
    description: Type.Union([Type.String(), Type.Null()], { description: '<meta name="description">' }),
    canonical: Type.Union([Type.String(), Type.Null()], { description: '<link rel="canonical">, absolute' }),
    lang: Type.Union([Type.String(), Type.Null()], { description: '<html lang>' }),
    etag: Type.Union([Type.String(), Type.Null()]),
    lastModified: Type.Union([Type.String(), Type.Null()]),
    contentHash: Type.Union([Type.String(), Type.Null()], {
      description: 'sha256 hex of the page text, whitespace collapsed; null for bodies not parsed',
    }),
    charset: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description: 'The encoding the page was decoded from: its BOM, Content-Type, <meta charset>, else utf-8',
      }),
    ),
    image: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description: "og:image, else the main content's first image (with content formats), absolute",
      }),
    ),
    mainContentHash: Type.Optional(
      Type.String({
        description:
          "sha256 hex of the main content's text, normalized (NFKC, whitespace collapsed): " +
          'computed with markdown, text or html and onlyMainContent',
      }),
    ),
    simhash: Type.Optional(
      Type.String({
        pattern: '^[0-9a-f]{16}$',
        description:
          "64-bit simhash (16 hex digits) of the main content's words, with mainContentHash: " +
          'near-duplicate pages are a few bits apart (Hamming distance)',
      }),
    ),
  },
  { title: 'PageMetadata' },
);
export type PageMetadata = Static<typeof PageMetadata>;

export const CrawlResult = Type.Object(
  {
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
  },
  { title: 'CrawlResult' },
);
export type CrawlResult = Static<typeof CrawlResult>;
