import type { CrawlInput, CrawlResult } from '@crawlfleet/core';
import {
  BodyTooLargeError,
  CancelledError,
  FetchFailedError,
  FetchRefusedError,
  FetchTimeoutError,
  HostBusyError,
  InvalidInputError,
  UpstreamStatusError,
  checkFetchUrl,
  isHtml,
  pageResult,
  type AddressPolicy,
  type LookupFunction,
  type PageLimits,
} from '@crawlfleet/tasks';
import type { Browser, BrowserContext } from 'playwright-core';
import { GuardProxy, REFUSED_HEADER } from './guard-proxy.js';
import { Interception } from './interception.js';

/** What every rendered page may do and cost. */
export interface RenderLimits {
  userAgent: string;
  policy: AddressPolicy;
  resolve?: LookupFunction | undefined;
  /** Deadline of the whole render: navigation, scripts, the extra wait, the DOM read. */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Bytes of all of the page's responses together. */
  maxBytes: number;
  maxRedirects: number;
  /** `settled`: after load, how long at most to wait for 500 ms without network requests (RENDER_SETTLE_MAX_MS). */
  settleMaxMs: number;
  page: PageLimits;
  /** The error of a page whose renderer crashed (CF_ERR_RENDER_MEMORY when it was stopped for its memory). */
  crashed: (url: string) => Error;
}

/** Script for the page: its doctype and DOM as HTML (what page.content() reads), or false past `max` characters. */
function serializedDom(max: number): string {
  return `(() => {
    const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '';
    const html = doctype + (document.documentElement ? document.documentElement.outerHTML : '');
    return html.length > ${Math.floor(max)} ? false : html;
  })()`;
}

/**
 * Renders `input.url` in a fresh context of `browser` (no cookies, storage or
 * cache from other pages), through a guard proxy of its own, and returns the
 * same result a plain fetch does, read from the DOM after the page's scripts
 * ran, with `rendered: true`. Popups, dialogs, downloads and service workers
 * are refused; images, media and fonts are not loaded unless
 * `renderResources: "all"`. The whole render has one deadline; past it, or
 * past the byte cap, the context is closed, whatever the page is doing.
 *
 * Each redirect hop of the document is checked before the browser follows
 * it: the redirect cap, the address policy, and `onRedirect` (the hop's own
 * host's lease and robots.txt), see {@link Interception}.
 */
export async function renderPage(
  browser: Browser,
  input: CrawlInput,
  limits: RenderLimits,
  signal?: AbortSignal,
  fetched?: () => void,
  onRedirect?: (next: string) => Promise<void>,
): Promise<CrawlResult> {
  const url: unknown = (input as Partial<CrawlInput> | null)?.url;
  if (typeof url !== 'string') throw new InvalidInputError(`url must be an absolute http(s) URL (got ${String(url)})`);
  const target = checkFetchUrl(url, limits.policy).toString();
  const waitUntil = input.renderWaitUntil ?? 'settled';
  const started = performance.now();
  let stop: (err: Error) => void = () => {};
  const stopped = new Promise<never>((_, reject) => {
    stop = reject;
  });
  stopped.catch(() => {});
  const proxy = await GuardProxy.open(limits, () => stop(new BodyTooLargeError(target, limits.maxBytes)));
  const timer = setTimeout(() => stop(new FetchTimeoutError(target, limits.timeoutMs)), limits.timeoutMs);
  const deadline = Date.now() + limits.timeoutMs;
  const onAbort = () => stop(new CancelledError(`render of ${target} aborted`));
  signal?.addEventListener('abort', onAbort, { once: true });
  let context: BrowserContext | null = null;
  // Every step races the deadline: a page that never stops running scripts does not hold the worker.
  const bounded = <T>(step: Promise<T>) => Promise.race([step, stopped]);
  try {
    if (signal?.aborted) throw new CancelledError(`render of ${target} aborted`);
    context = await bounded(
      browser.newContext({
        proxy: { server: proxy.url },
        userAgent: limits.userAgent,
        serviceWorkers: 'block',
        acceptDownloads: false,
        ignoreHTTPSErrors: false,
      }),
    );
    const page = await bounded(context.newPage());
    const interception = await bounded(
      Interception.start(context, page, {
        target,
        policy: limits.policy,
        maxRedirects: limits.maxRedirects,
        all: input.renderResources === 'all',
        onRedirect,
      }),
    );
    page.on('crash', () => stop(limits.crashed(target)));
    context.on('page', (other) => {
      if (other !== page) void other.close();
    });
    page.on('dialog', (dialog) => void dialog.dismiss().catch(() => {}));
    const response = await bounded(
      page.goto(target, { waitUntil: waitUntil === 'settled' ? 'load' : waitUntil, timeout: limits.timeoutMs }),
    ).catch((err: Error) => {
      if (proxy.overLimit) throw new BodyTooLargeError(target, limits.maxBytes);
      // A redirect hop refused: the redirect cap, the policy, robots.txt, or its host must wait (HopMustWaitError).
      if (interception.hopError) throw interception.hopError;
      if ((err as { code?: string }).code?.startsWith('CF_ERR_')) throw err;
      if (proxy.refused.length > 0) throw new FetchRefusedError(target, proxy.refused[0]);
      if (/Timeout/i.test(err.name) || /timeout/i.test(err.message))
        throw new FetchTimeoutError(target, limits.timeoutMs);
      // An error status with an empty body: Chromium fails the navigation, the answer is what counts.
      if (err.message.includes('ERR_HTTP_RESPONSE_CODE_FAILURE') && interception.answer) return null;
      throw new FetchFailedError(target, err.message.split('\n')[0].slice(0, 200));
    });
    // Once loaded, the page may not navigate its top frame: the record is always the seed URL's content.
    interception.loaded = true;
    const answer = response
      ? { url: response.url(), status: response.status(), headers: await bounded(response.allHeaders()) }
      : interception.answer;
    if (!answer) throw new FetchFailedError(target, 'no response for the document');
    const { status, headers } = answer;
    // The document itself (after its redirects) was refused by the policy.
    if (headers[REFUSED_HEADER]) throw new FetchRefusedError(answer.url, proxy.refused.at(-1) ?? 'refused');
    if (status === 429 || status === 503) throw new HostBusyError(answer.url, status, headers['retry-after'] ?? null);
    if (status >= 500) throw new UpstreamStatusError(answer.url, status);
    // Settled: content fetched after load (the usual single-page app) is in before the DOM is read.
    // Within the render's deadline, leaving the asked extra wait and a second to read the DOM: a page that never
    // idles (it keeps asking for what the policy refuses, say) is read as it is.
    // (An error status with an empty body has nothing to wait for.)
    const settleMs = Math.min(limits.settleMaxMs, deadline - Date.now() - (input.renderWaitMs ?? 0) - 1000);
    if (response && waitUntil === 'settled' && settleMs > 0)
      await bounded(page.waitForLoadState('networkidle', { timeout: settleMs }).catch(() => {}));
    if (response && input.renderWaitMs) await bounded(page.waitForTimeout(input.renderWaitMs));
    const contentType = headers['content-type'] ?? null;
    // Scripts can write a DOM far larger than anything fetched: serialized once, in the page, and refused there
    // past the cap, before it is copied here.
    const html =
      response && isHtml(contentType)
        ? await bounded(page.evaluate<string | false>(serializedDom(limits.maxBytes)))
        : null;
    if (html === false) throw new BodyTooLargeError(`the DOM of ${target}`, limits.maxBytes);
    fetched?.();
    const response_ = {
      finalUrl: answer.url,
      status,
      contentType,
      etag: headers.etag ?? null,
      lastModified: headers['last-modified'] ?? null,
      bytes: proxy.bytes,
      html,
    };
    const result = await pageResult(url, response_, input, limits.page, started);
    if (interception.navigation === null) return { ...result, rendered: true };
    const blocked = `the page tried to navigate to ${interception.navigation.slice(0, 500)} after it loaded: blocked`;
    return { ...result, rendered: true, warning: result.warning ? `${result.warning}; ${blocked}` : blocked };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    // Closing the context ends its renderer, also one stuck in a script.
    await Promise.race([context?.close(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]).catch(() => {});
    proxy.close();
  }
}
