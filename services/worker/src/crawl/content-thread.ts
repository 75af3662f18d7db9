// Runs in the crawl and render workers' content threads (see content-pool.ts): cleanup, main content
// and markdown, off the worker's event loop. Imports only the content code, so a thread starts fast.
import type { ContentFormat } from '@crawlfleet/core';
import { pageContent, type Content, type ContentLimits, type ParsedPage } from '@crawlfleet/tasks/content';
import { WARM_UP_ROUNDS, warmUpContent } from '@crawlfleet/tasks/content-warm-up';

/** One page's content to extract. */
export interface ContentTask {
  html: string;
  parsed: ParsedPage;
  pageUrl: string;
  formats: readonly ContentFormat[];
  onlyMainContent: boolean;
  limits: ContentLimits;
}

// A thread readies its code once started, between pages: a round at a time (a few ms), so a page that comes
// meanwhile waits one round at most, and the pages after it find the code compiled (bench/README.md).
let round = 0;
const warmStep = () => {
  warmUpContent(1, round);
  if (++round < WARM_UP_ROUNDS) setImmediate(warmStep);
};
setImmediate(warmStep);

/** Nothing: a task that starts a thread ahead of the pages (ContentPool), which then readies its code. */
export function ready(): void {}

export default function extract(task: ContentTask): Content {
  return pageContent(task.html, task.parsed, task.pageUrl, task.formats, task.onlyMainContent, task.limits);
}
