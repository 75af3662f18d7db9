import type { CrawlResult, PageRecord } from '@crawlfleet/core/runtime';
import { type Validators } from '@crawlfleet/crawl';

/*
 * Incremental recrawls: a page the recrawled crawl fetched is asked for with
 * its validators, and its record says how it compares.
 */

/** What the old crawl knew: undefined outside a recrawl, null for a page it did not fetch. */
export type Previous = Validators | null | undefined;

/** If-None-Match and If-Modified-Since from the old crawl's record. */
export function conditionalHeaders(previous: Previous): Record<string, string> {
  const headers: Record<string, string> = {};
  if (previous?.e) headers['if-none-match'] = previous.e;
  if (previous?.m) headers['if-modified-since'] = previous.m;
  return headers;
}

/**
 * new (the old crawl had no such page), unchanged (304, or the same main
 * content when both crawls computed it, else the same contentHash), else changed:
 * with main content, a new footer link or teaser does not make a page `changed`.
 */
export function changeOf(previous: Validators | null, result: CrawlResult): 'new' | 'changed' | 'unchanged' {
  if (!previous) return 'new';
  if (result.status === 304) return 'unchanged';
  const main = result.metadata.mainContentHash;
  if (previous.mh && main) return previous.mh === main ? 'unchanged' : 'changed';
  if (previous.h !== null && previous.h === result.metadata.contentHash) return 'unchanged';
  return 'changed';
}

/** A 304's result with what the old crawl knew of the page: its validators and contentHash. */
export function unchangedResult(result: CrawlResult, previous: Validators): CrawlResult {
  return {
    ...result,
    metadata: {
      ...result.metadata,
      etag: result.metadata.etag ?? previous.e,
      lastModified: result.metadata.lastModified ?? previous.m,
      contentHash: previous.h,
      ...(previous.mh ? { mainContentHash: previous.mh } : {}),
    },
  };
}

/** A record not fetched now, marked against the old crawl (a page that fails now has changed). */
export function markUnfetched(record: PageRecord, previous: Previous): PageRecord {
  return previous === undefined ? record : { ...record, change: previous ? 'changed' : 'new' };
}
