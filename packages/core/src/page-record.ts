import type { CrawlResult, PageRecord } from './schemas.js';

/** The record of a fetched page at `depth`: what the crawl result says, without its links. */
export function fetchedPageRecord(result: CrawlResult, depth: number): PageRecord {
  const { url, finalUrl, status, contentType, title, links, bytes, metadata } = result;
  return { url, depth, status, title, links: links.length, error: null, finalUrl, contentType, bytes, metadata };
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
