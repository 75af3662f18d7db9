import { hash } from 'node:crypto';
import type { CrawlInput, CrawlResult } from '@crawlfleet/core';
import { HostBusyError, InvalidInputError, UpstreamStatusError } from '../errors.js';
import { capContent, runContentHere, type ContentLimits, type ContentRunner } from './page-content.js';
import { decodeHtml } from './charset.js';
import { DEFAULT_LINK_LIMITS, extractLinks, type LinkLimits } from './extract-links.js';
import type { SafeFetcher } from './safe-fetch.js';

/** What one page may cost: links kept, and content extracted and returned (and where that runs). */
export type PageLimits = LinkLimits & ContentLimits & { runContent?: ContentRunner };

export const DEFAULT_PAGE_LIMITS: PageLimits = {
  ...DEFAULT_LINK_LIMITS,
  maxStoredBytes: 1024 * 1024,
  maxContentDepth: 512,
  maxContentElements: 100_000,
};

/** True for content types whose body is parsed for links. */
export function isHtml(contentType: string | null): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === 'text/html' || type === 'application/xhtml+xml';
}

/**
 * Fetches one page and returns what it is, where it links, its metadata
 * (contentHash: sha256 of its text, whitespace collapsed) and the content
 * `input.formats` asks for, within CRAWL_MAX_STORED_BYTES. Non-HTML bodies
 * are counted, not parsed. A 429 or 503 throws HostBusyError, another 5xx a
 * retryable error; other
 * statuses (404 included) are results.
 */
export async function crawlPage(
  fetcher: SafeFetcher,
  input: CrawlInput,
  signal?: AbortSignal,
  limits: PageLimits = DEFAULT_PAGE_LIMITS,
  /** Called once a response that is not an error is in, before it is parsed (a host's lease goes back then). */
  fetched?: () => void,
  /** Sent with the request: a recrawl's If-None-Match and If-Modified-Since. */
  headers: Record<string, string> = {},
  /** Before each redirect is followed (each hop answers for itself: its host's lease, its robots.txt). */
  onRedirect?: (next: string) => Promise<void>,
): Promise<CrawlResult> {
  // As in sqrt: a job added by other means may hold anything, null included.
  const url: unknown = (input as Partial<CrawlInput> | null)?.url;
  if (typeof url !== 'string') throw new InvalidInputError(`url must be an absolute http(s) URL (got ${String(url)})`);
  const started = performance.now();
  const page = await fetcher.fetch(url, signal, isHtml, undefined, headers, onRedirect);
  // 429 and 503 ask every client to wait: the caller pauses the host, without spending an attempt.
  if (page.status === 429 || page.status === 503) throw new HostBusyError(page.finalUrl, page.status, page.retryAfter);
  if (page.status >= 500) throw new UpstreamStatusError(page.finalUrl, page.status);
  fetched?.();
  const decoded = page.body && isHtml(page.contentType) ? decodeHtml(page.body, page.contentType) : null;
  const html = decoded?.html ?? null;
  return await pageResult(url, { ...page, html, charset: decoded?.charset ?? null }, input, limits, started);
}

/** What a page result is made of: the final response, and its HTML (null for other bodies). */
export interface PageResponse {
  finalUrl: string;
  status: number;
  contentType: string | null;
  etag: string | null;
  lastModified: string | null;
  bytes: number;
  html: string | null;
  /** The encoding the HTML was decoded from (BOM, header, <meta>, else UTF-8); null when not decoded here. */
  charset?: string | null;
}

/**
 * The result of a page from its response: links, metadata and the content
 * `input.formats` asks for, the same for a fetched page and a rendered one
 * (whose HTML is the DOM after its scripts ran).
 * @param started performance.now() when the page was asked for
 */
export async function pageResult(
  url: string,
  page: PageResponse,
  input: CrawlInput,
  limits: PageLimits,
  started: number,
): Promise<CrawlResult> {
  const { html } = page;
  const parsed = html === null ? null : extractLinks(html, page.finalUrl, limits);
  const formats = input.formats ?? [];
  const run = limits.runContent ?? runContentHere;
  const { links, mainContentHash, simhash, image, ...content } =
    formats.length === 0
      ? { links: undefined }
      : capContent(
          await run(html, parsed, page.finalUrl, formats, input.onlyMainContent ?? true, limits),
          limits.maxStoredBytes,
        );
  return {
    url,
    finalUrl: page.finalUrl,
    status: page.status,
    contentType: page.contentType,
    title: parsed?.title ?? null,
    links: links ?? parsed?.links ?? [],
    bytes: page.bytes,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
    metadata: {
      title: parsed?.title ?? null,
      description: parsed?.description ?? null,
      canonical: parsed?.canonical ?? null,
      lang: parsed?.lang ?? null,
      etag: page.etag,
      lastModified: page.lastModified,
      contentHash: parsed ? hash('sha256', parsed.text, 'hex') : null,
      charset: page.charset ?? null,
      image: parsed?.image ?? image ?? null,
      ...(mainContentHash ? { mainContentHash } : {}),
      ...(simhash ? { simhash } : {}),
    },
    ...content,
  };
}
