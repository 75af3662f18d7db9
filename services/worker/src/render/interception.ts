import { RedirectError, checkFetchUrl, type AddressPolicy } from '@crawlfleet/tasks';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';

/** Statuses whose Location the browser follows: each is a hop, let through only once its host may be fetched. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Resource types left out unless renderResources: "all". */
const HEAVY = ['Image', 'Media', 'Font'] as const;

/** What Fetch.requestPaused tells (the fields used here). */
interface Paused {
  requestId: string;
  request: { url: string };
  frameId: string;
  resourceType: string;
  responseStatusCode?: number;
  responseHeaders?: { name: string; value: string }[];
}

export interface InterceptionOptions {
  /** The URL rendered (named in redirect errors). */
  target: string;
  policy: AddressPolicy;
  maxRedirects: number;
  /** Loads images, media and fonts (renderResources: "all"). */
  all: boolean;
  /** Called before each redirect of the top document is followed: may refuse (throw) or swap the host lease. */
  onRedirect?: ((next: string) => Promise<void>) | undefined;
}

/**
 * The requests of one rendered page that crawlfleet decides on, intercepted
 * over the DevTools protocol (Fetch domain) rather than Playwright's routes:
 * a route sees every request, uploads included (a request body crosses the
 * protocol at ~2 MB/s, so a large upload met the render deadline before the
 * byte cap), and never sees a redirect, which the browser follows unseen.
 * Here only documents and (unless `all`) images, media and fonts pause; the
 * top document's answers pause too, so each redirect hop is checked (the
 * redirect cap, the address policy, `onRedirect`: the hop's own host's lease
 * and robots.txt) before the browser follows it. Once {@link loaded}, a
 * navigation of the top frame is answered 204 (the browser stays on the
 * page) and remembered. Everything else goes straight to the guard proxy,
 * which counts uploads like any other bytes.
 */
export class Interception {
  /** Set once the page loaded: from then on, the top frame may not navigate. */
  loaded = false;
  /** Where the page tried to navigate its top frame after it loaded (the first such URL). */
  navigation: string | null = null;
  /** Why a redirect hop of the top document was refused (the render fails with it). */
  hopError: Error | null = null;
  /** The top document's last answer (Chromium fails a navigation to an error status with an empty body). */
  answer: { url: string; status: number; headers: Record<string, string> } | null = null;
  private hops = 0;

  private constructor(
    private readonly session: CDPSession,
    private readonly mainFrameId: string,
    private readonly options: InterceptionOptions,
  ) {}

  /** Starts intercepting `page`'s requests, before its first navigation. */
  static async start(context: BrowserContext, page: Page, options: InterceptionOptions): Promise<Interception> {
    const session = await context.newCDPSession(page);
    const { frameTree } = await session.send('Page.getFrameTree');
    const interception = new Interception(session, frameTree.frame.id, options);
    session.on('Fetch.requestPaused', (event) => void interception.paused(event as Paused).catch(() => {}));
    const types = ['Document' as const, ...(options.all ? [] : HEAVY)];
    await session.send('Fetch.enable', {
      patterns: types.map((resourceType) => ({ urlPattern: '*', resourceType, requestStage: 'Request' as const })),
    });
    return interception;
  }

  private async paused(event: Paused): Promise<void> {
    const { requestId, request, resourceType } = event;
    const fail = () => this.session.send('Fetch.failRequest', { requestId, errorReason: 'BlockedByClient' });
    if (resourceType !== 'Document' || !/^https?:/i.test(request.url)) return void (await fail());
    const go = (interceptResponse = false) =>
      this.session.send('Fetch.continueRequest', interceptResponse ? { requestId, interceptResponse } : { requestId });
    if (event.frameId !== this.mainFrameId) return void (await go());
    if (event.responseStatusCode === undefined) {
      if (!this.loaded) return void (await go(true));
      this.navigation ??= request.url;
      // 204 No Content: the browser stays on the page it has (a failed navigation shows an error page).
      return void (await this.session.send('Fetch.fulfillRequest', { requestId, responseCode: 204 }));
    }
    const headers: Record<string, string> = {};
    for (const { name, value } of event.responseHeaders ?? []) headers[name.toLowerCase()] = value;
    this.answer = { url: request.url, status: event.responseStatusCode, headers };
    const location = headers.location;
    if (!REDIRECTS.has(event.responseStatusCode) || location === undefined) return void (await go());
    try {
      await this.hop(request.url, location);
      await go();
    } catch (err) {
      this.hopError ??= err as Error;
      await fail();
    }
  }

  /** Lets a redirect of the top document from `from` to `location` be followed, or throws why not. */
  private async hop(from: string, location: string): Promise<void> {
    const { target, maxRedirects } = this.options;
    if (++this.hops > maxRedirects) throw new RedirectError(target, `more than ${maxRedirects} redirects`);
    let next: string;
    try {
      next = new URL(location, from).toString();
    } catch {
      throw new RedirectError(target, `invalid Location ${JSON.stringify(location.slice(0, 500))}`);
    }
    await this.options.onRedirect?.(checkFetchUrl(next, this.options.policy).toString());
  }
}
