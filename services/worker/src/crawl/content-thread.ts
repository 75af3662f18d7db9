// Runs in the crawl and render workers' content threads (see content-pool.ts): cleanup, main content
// and markdown, off the worker's event loop. Imports only the content code, so a thread starts fast.
import type { ContentFormat } from '@crawlfleet/core';
import { pageContent, type Content, type ContentLimits, type ParsedPage } from '@crawlfleet/tasks/content';

/** One page's content to extract. */
export interface ContentTask {
  html: string;
  parsed: ParsedPage;
  pageUrl: string;
  formats: readonly ContentFormat[];
  onlyMainContent: boolean;
  limits: ContentLimits;
}

export default function extract(task: ContentTask): Content {
  return pageContent(task.html, task.parsed, task.pageUrl, task.formats, task.onlyMainContent, task.limits);
}
