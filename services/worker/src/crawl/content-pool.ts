import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { pageContent, textOnly, type Content, type ContentRunner } from '@crawlfleet/tasks/content';
import { warmUpContent } from '@crawlfleet/tasks/content-warm-up';
import type { ContentTask } from './content-thread.js';

const threadFile = new URL('./content-thread.js', import.meta.url).href;

/**
 * Pages this small are converted in the worker's own thread: a few ms at most
 * (however they nest: the tree's depth is checked first), and a trip to a
 * thread costs ~0.2-0.35 ms of CPU a page, 15% of a markdown crawl's rate
 * (bench/README.md). Larger pages, where a hostile one can hold the event
 * loop for seconds, go to a thread.
 */
export const INLINE_MAX_ELEMENTS = 1000;
export const INLINE_MAX_CHARS = 100_000;

/**
 * Page content (cleanup, main content, markdown) of all but small pages in
 * worker threads, at most one per core, with a deadline: the worker's event loop never waits on a page's
 * tree (its locks and leases keep being renewed), and a page that takes
 * longer than CRAWL_MAX_CONTENT_MS gets the tokenizer's text and a
 * `warning` instead (its thread is ended and another started).
 */
export class ContentPool {
  // `undefined` is the ready task (no page; its answer is not read).
  private readonly pool: Piscina<ContentTask | undefined, Content>;
  /** The ready task while a thread starts: a large page waits for that thread, none other is started for it. */
  private readying: Promise<unknown> | undefined;

  /**
   * @param warm ready this thread's content code at once (small pages are converted here). A content thread
   * readies its own once started (content-thread.ts), between pages; none is started before a page asks for
   * content, so a crawl without formats costs no thread and no memory.
   */
  constructor(
    private readonly deadlineMs: number,
    warm = false,
  ) {
    this.pool = new Piscina<ContentTask | undefined, Content>({
      filename: threadFile,
      minThreads: 0,
      maxThreads: availableParallelism(),
      idleTimeout: 60_000,
      // Node refuses a worker thread V8 flags such as --max-semi-space-size (the launchers give this process).
      execArgv: [],
    });
    // This thread's code at once (~0.35 s of CPU, ~6-10 MB): small pages are converted here.
    if (warm) warmUpContent();
  }

  /** A {@link ContentRunner}: links are taken here, the rest in a thread. */
  readonly run: ContentRunner = async (html, parsed, pageUrl, formats, onlyMainContent, limits) => {
    const links = formats.includes('links') ? { links: parsed?.links ?? [] } : {};
    const rest = formats.filter((format) => format !== 'links');
    if (html === null || parsed === null || rest.length === 0)
      return { ...links, ...(html === null && rest.length ? { warning: 'not HTML: no content extracted' } : {}) };
    // The first page that wants content starts a thread (to load and ready its code) while this one,
    // often a small page converted here, is done: a large page after it finds the thread up.
    if (!this.readying && this.pool.threads.length === 0) this.ready();
    const { text, depth, elements } = parsed;
    if (elements <= INLINE_MAX_ELEMENTS && html.length <= INLINE_MAX_CHARS)
      return pageContent(html, parsed, pageUrl, formats, onlyMainContent, limits);
    const task: ContentTask = {
      html,
      parsed: { links: [], text, depth, elements },
      pageUrl,
      formats: rest,
      onlyMainContent,
      limits: {
        maxStoredBytes: limits.maxStoredBytes,
        maxContentDepth: limits.maxContentDepth,
        maxContentElements: limits.maxContentElements,
      },
    };
    try {
      await this.readying;
      return { ...links, ...(await this.pool.run(task, { signal: AbortSignal.timeout(this.deadlineMs) })) };
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
      const wanted = { markdown: rest.includes('markdown'), text: rest.includes('text'), html: rest.includes('html') };
      const warning = `extracting content took over CRAWL_MAX_CONTENT_MS (${this.deadlineMs} ms): text only`;
      return textOnly(links, wanted, html, text, warning);
    }
  };

  /** Starts a content thread, which readies its code (content-thread.ts), without waiting for it. */
  private ready(): void {
    this.readying = this.pool
      .run(undefined, { name: 'ready' })
      .catch(() => undefined)
      .finally(() => {
        this.readying = undefined;
      });
  }

  /** Threads running now (started and not yet ended for idleness). */
  get threads(): number {
    return this.pool.threads.length;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
