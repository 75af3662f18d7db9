import { type CrawlResult, type PageRecord } from '@crawlfleet/core/runtime';

/**
 * The record of a fetched page at `depth`: what the crawl result says. Its
 * `links` are their number, or the links themselves when `listLinks`
 * (formats: ["links"]).
 */
export function fetchedPageRecord(result: CrawlResult, depth: number, listLinks = false): PageRecord {
  const { url, finalUrl, status, contentType, title, links, bytes, metadata, durationMs: _, ...content } = result;
  return {
    url,
    depth,
    status,
    title,
    links: listLinks ? links : links.length,
    error: null,
    finalUrl,
    contentType,
    bytes,
    metadata,
    ...content,
  };
}

/** The record of a page that was not fetched (failed, refused by robots.txt, lost). */
export function unfetchedPageRecord(url: string, depth: number, error: string): PageRecord {
  return {
    url,
    depth,
    status: null,
    title: null,
    links: 0,
    error,
    finalUrl: null,
    contentType: null,
    bytes: null,
    metadata: null,
  };
}

/** A page record's stored content, apart from the rest, for the crawl's byte cap. */
export interface RecordParts {
  /** The record without its content (and without `links` when they are a list). */
  base: PageRecord;
  /** The content as JSON members (`"markdown":"…","links":[…]`), '' for none. */
  content: string;
  /** What stands for the content when the crawl is over its cap. */
  fallback: string;
  /** Bytes of `content`. */
  bytes: number;
}

const CONTENT_FIELDS = ['markdown', 'text', 'html', 'truncated', 'warning'] as const;

/** Splits `record` into what is always stored and the content that counts against the crawl's cap. */
export function recordParts(record: PageRecord): RecordParts {
  const base: Record<string, unknown> = { ...record };
  const content: Record<string, unknown> = {};
  for (const field of CONTENT_FIELDS) {
    if (record[field] === undefined) continue;
    content[field] = record[field];
    delete base[field];
  }
  if (Array.isArray(record.links)) {
    content.links = record.links;
    delete base.links;
  }
  if (Object.keys(content).length === 0) return { base: record, content: '', fallback: '', bytes: 0 };
  const members = JSON.stringify(content).slice(1, -1);
  const links = Array.isArray(record.links) ? `"links":${record.links.length},` : '';
  return {
    base: base as PageRecord,
    content: members,
    fallback: `${links}"truncated":true`,
    bytes: Buffer.byteLength(members, 'utf8'),
  };
}

/** What a recrawl asks with: the page's URL, ETag, Last-Modified and contentHash. */
export interface Validators {
  u: string;
  e: string | null;
  m: string | null;
  h: string | null;
  /** mainContentHash, when the page's main content was computed. */
  mh?: string;
}

/** The validators of a fetched record as stored (JSON), or '' for a page not fetched. */
export function validators(record: PageRecord): string {
  if (record.status === null || !record.metadata) return '';
  const { etag, lastModified, contentHash, mainContentHash } = record.metadata;
  return JSON.stringify({ u: record.url, e: etag, m: lastModified, h: contentHash, mh: mainContentHash });
}
