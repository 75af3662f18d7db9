import type { CrawlInput, CrawlResult } from '@crawlfleet/core';
import {
  BodyTooLargeError,
  CancelledError,
  FetchFailedError,
  FetchRefusedError,
  FetchTimeoutError,
  HostBusyError,
  InvalidInputError,
  RedirectError,
  UpstreamStatusError,
  checkFetchUrl,
  isHtml,
  pageResult,
  type AddressPolicy,
  type LookupFunction,
  type PageLimits,
} from '@crawlfleet/tasks';
import type { Browser, BrowserContext, Frame, Response } from 'playwright-core';
import { GuardProxy, REFUSED_HEADER } from './guard-proxy.js';

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

/** Resource types left out unless renderResources: "all". */
const HEAVY = new Set(['image', 'media', 'font']);

/** Script for the page: its doctype and DOM as HTML (what page.content() reads), or false past `max` characters. */
function serializedDom(max: number): string {
  return `(() => {
    const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '';
    const html = doctype + (document.documentElement ? document.documentElement.outerHTML : '');
    return html.length > ${Math.floor(max)} ? false : html;
  })()`;
}

function redirectsOf(response: Response): number {
  let hops = 0;
  for (let request = response.request().redirectedFrom(); request; request = request.redirectedFrom()) hops++;
  return hops;
}

/**
 * Renders `input.url` in a fresh context of `browser` (no cookies, storage or
 * cache from other pages), through a guard proxy of its own, and returns the
 * same result a plain fetch does, read from the DOM after the page's scripts
 * ran, with `rendered: true`. Popups, dialogs, downloads and service workers
 * are refused; images, media and fonts are not loaded unless
 * `renderResources: "all"`. The whole render has one deadline; past it, or
 * past the byte cap, the context is closed, whatever the page is doing.
 */
export async function renderPage(
  browser: Browser,
  input: CrawlInput,
  limits: RenderLimits,
  signal?: AbortSignal,
  fetched?: () => void,
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
    const all = input.renderResources === 'all';
    // Once loaded, the page may not navigate its top frame: the record is always the seed URL's content.
    let loaded = false;
    let navigation: string | null = null;
    let mainFrame: Frame | null = null;
    await context.route('**/*', (route) => {
      const request = route.request();
      if (loaded && request.isNavigationRequest() && request.frame() === mainFrame) {
        navigation ??= request.url();
        // 204 No Content: the browser stays on the page it has (an aborted navigation shows an error page).
        return route.fulfill({ status: 204 });
      }
      if (!/^https?:/i.test(request.url()) || (!all && HEAVY.has(request.resourceType()))) return route.abort();
      // An upload counts against the page's bytes before it leaves (the proxy counts what it relays too).
      const upload = request.postDataBuffer()?.length ?? 0;
      if (upload > 0 && proxy.countUpload(upload)) return route.abort();
      return route.continue();
    });
    const page = await bounded(context.newPage());
    mainFrame = page.mainFrame();
    page.on('crash', () => stop(limits.crashed(target)));
    context.on('page', (other) => {
      if (other !== page) void other.close();
    });
    page.on('dialog', (dialog) => void dialog.dismiss().catch(() => {}));
    const response = await bounded(
      page.goto(target, { waitUntil: waitUntil === 'settled' ? 'load' : waitUntil, timeout: limits.timeoutMs }),
    ).catch((err: Error) => {
      if (proxy.overLimit) throw new BodyTooLargeError(target, limits.maxBytes);
      if ((err as { code?: string }).code?.startsWith('CF_ERR_')) throw err;
      if (proxy.refused.length > 0) throw new FetchRefusedError(target, proxy.refused[0]);
      if (/Timeout/i.test(err.name) || /timeout/i.test(err.message))
        throw new FetchTimeoutError(target, limits.timeoutMs);
      throw new FetchFailedError(target, err.message.split('\n')[0].slice(0, 200));
    });
    if (!response) throw new FetchFailedError(target, 'no response for the document');
    loaded = true;
    if (redirectsOf(response) > limits.maxRedirects)
      throw new RedirectError(target, `more than ${limits.maxRedirects} redirects`);
    const status = response.status();
    const headers = await bounded(response.allHeaders());
    // The document itself (after its redirects) was refused by the policy.
    if (headers[REFUSED_HEADER]) throw new FetchRefusedError(response.url(), proxy.refused.at(-1) ?? 'refused');
    if (status === 429 || status === 503)
      throw new HostBusyError(response.url(), status, headers['retry-after'] ?? null);
    if (status >= 500) throw new UpstreamStatusError(response.url(), status);
    // Settled: content fetched after load (the usual single-page app) is in before the DOM is read.
    // Within the render's deadline, leaving the asked extra wait and a second to read the DOM: a page that never
    // idles (it keeps asking for what the policy refuses, say) is read as it is.
    const settleMs = Math.min(limits.settleMaxMs, deadline - Date.now() - (input.renderWaitMs ?? 0) - 1000);
    if (waitUntil === 'settled' && settleMs > 0)
      await bounded(page.waitForLoadState('networkidle', { timeout: settleMs }).catch(() => {}));
    if (input.renderWaitMs) await bounded(page.waitForTimeout(input.renderWaitMs));
    const contentType = headers['content-type'] ?? null;
    // Scripts can write a DOM far larger than anything fetched: serialized once, in the page, and refused there
    // past the cap, before it is copied here.
    const html = isHtml(contentType)
      ? await bounded(page.evaluate<string | false>(serializedDom(limits.maxBytes)))
      : null;
    if (html === false) throw new BodyTooLargeError(`the DOM of ${target}`, limits.maxBytes);
    fetched?.();
    const response_ = {
      finalUrl: response.url(),
      status,
      contentType,
      etag: headers.etag ?? null,
      lastModified: headers['last-modified'] ?? null,
      bytes: proxy.bytes,
      html,
    };
    const result = await pageResult(url, response_, input, limits.page, started);
    if (navigation === null) return { ...result, rendered: true };
    const blocked = `the page tried to navigate to ${String(navigation).slice(0, 500)} after it loaded: blocked`;
    return { ...result, rendered: true, warning: result.warning ? `${result.warning}; ${blocked}` : blocked };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    // Closing the context ends its renderer, also one stuck in a script.
    await Promise.race([context?.close(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]).catch(() => {});
    proxy.close();
  }
}
