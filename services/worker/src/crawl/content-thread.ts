// Runs in the crawl and render workers' content threads (see content-pool.ts): cleanup, main content
// and markdown, off the worker's event loop. Imports only the content code, so a thread starts fast.
import type { ContentFormat } from '@crawlfleet/core';
import { pageContent, type Content, type ContentLimits, type ParsedPage } from '@crawlfleet/tasks/content';
import { warmUpContent } from '@crawlfleet/tasks/content-warm-up';

/** One page's content to extract. */
export interface ContentTask {
  html: string;
  parsed: ParsedPage;
  pageUrl: string;
  formats: readonly ContentFormat[];
  onlyMainContent: boolean;
  limits: ContentLimits;
}

/** Readies a thread: its modules loaded and its hot code compiled before a page waits on it. */
export interface WarmUpTask {
  warmUp: true;
}

export default function extract(task: ContentTask | WarmUpTask): Content {
  if ('warmUp' in task) {
    warmUpContent();
    return {};
  }
  return pageContent(task.html, task.parsed, task.pageUrl, task.formats, task.onlyMainContent, task.limits);
}
