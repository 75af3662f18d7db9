import type { Readable } from 'node:stream';
import { request, type Agent } from 'undici';
import { CancelledError, FetchFailedError, FetchRefusedError, FetchTimeoutError, RedirectError } from '../errors.js';
import { addressPolicy, isIpLiteral, unbracket, type AddressPolicy } from './address-policy.js';
import { createGuardedAgent, type LookupFunction } from './guarded-agent.js';
import { readBody } from './read-body.js';
import { LinkedAbort } from './linked-abort.js';

/** Limits and identity of every fetch. */
export interface SafeFetchOptions {
  /** Sent as User-Agent. */
  userAgent: string;
  /** Deadline for the whole fetch, redirects and body included. */
  timeoutMs: number;
  /** Deadline for one TCP/TLS connect. */
  connectTimeoutMs: number;
  /** Cap on the decompressed body. */
  maxBytes: number;
  /** Redirects followed before giving up. */
  maxRedirects: number;
  /** Allow loopback, private, link-local addresses (`CRAWL_ALLOW_PRIVATE_NETWORKS`). */
  allowPrivateNetworks: boolean;
  /** Overrides the address policy (tests). */
  policy?: AddressPolicy;
  /** Overrides DNS resolution (tests). */
  resolve?: LookupFunction;
}

/** What one fetch returns: the last hop's response. */
export interface FetchedPage {
  url: string;
  finalUrl: string;
  status: number;
  contentType: string | null;
  /** The final response's ETag and Last-Modified, for conditional requests. */
  etag: string | null;
  lastModified: string | null;
  /** The final response's Retry-After (seconds or an HTTP date), as sent. */
  retryAfter: string | null;
  /** The decompressed body, or null when `keepBody` said not to keep it. */
  body: Buffer | null;
  bytes: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Drops a body we will not read; the abort error it emits is expected. */
function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The URL as it will be fetched, or FetchRefusedError: http(s) only, no
 * credentials, and an IP literal in any spelling the URL parser takes
 * (`2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`) judged by `policy` (names
 * are judged after DNS, in the guarded agent). Sends nothing.
 */
export function checkFetchUrl(raw: string, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchRefusedError(raw, 'it is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchRefusedError(raw, `only http and https are allowed, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new FetchRefusedError(raw, 'URLs with credentials are not fetched');
  }
  // IP literals never reach DNS, so the guard in the lookup does not see them.
  if (isIpLiteral(url.hostname) && !policy(unbracket(url.hostname))) {
    throw new FetchRefusedError(raw, `${url.hostname} is not a public address`);
  }
  url.hash = '';
  return url;
}

/**
 * Fetches http(s) URLs with a deadline, a body cap, a redirect cap and an
 * address guard checked on every hop after DNS resolution. One instance keeps
 * a pool of keep-alive connections; close() releases it.
 */
export class SafeFetcher {
  private readonly agent: Agent;
  private readonly policy: AddressPolicy;

  constructor(private readonly options: SafeFetchOptions) {
    this.policy = options.policy ?? addressPolicy(options.allowPrivateNetworks);
    this.agent = createGuardedAgent({
      policy: this.policy,
      connectTimeoutMs: options.connectTimeoutMs,
      resolve: options.resolve,
    });
  }

  /**
   * Fetches `url`, following redirects.
   * @param keepBody decides from the final content type whether the body is kept.
   * @param truncateAt reads at most this many bytes and ignores the rest (robots.txt), instead of failing at the cap.
   * @param headers sent beside the fetcher's own (If-None-Match, If-Modified-Since for a recrawl).
   * @param onRedirect called before each redirect is followed, with its target: it may wait for, or
   *   refuse (by throwing), the next hop (its host's lease, its robots.txt).
   */
  async fetch(
    url: string,
    signal?: AbortSignal,
    keepBody: (contentType: string | null) => boolean = () => true,
    truncateAt?: number,
    headers: Record<string, string> = {},
    onRedirect?: (next: string) => Promise<void>,
  ): Promise<FetchedPage> {
    return this.bounded(url, signal, (bounded) => this.follow(url, bounded, keepBody, truncateAt, headers, onRedirect));
  }

  /**
   * POSTs `body` to `url` (a webhook delivery) under the same address guard
   * and deadline, following no redirect. The answer's body is not read.
   * @returns the HTTP status
   */
  async post(url: string, body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<number> {
    const target = checkFetchUrl(url, this.policy);
    return this.bounded(url, signal, async (bounded) => {
      const response = await request(target, {
        method: 'POST',
        body,
        headers: { 'user-agent': this.options.userAgent, ...headers },
        dispatcher: this.agent,
        signal: bounded,
      });
      discard(response.body);
      return response.statusCode;
    });
  }

  /** Runs `work` within the fetch deadline, its failures in crawlfleet's errors. */
  private async bounded<T>(url: string, signal: AbortSignal | undefined, work: (bounded: AbortSignal) => Promise<T>) {
    const scope = new LinkedAbort(signal, this.options.timeoutMs);
    try {
      return await work(scope.signal);
    } catch (err) {
      if (signal?.aborted) throw new CancelledError(`fetch of ${url} aborted`);
      if (scope.timedOut) throw new FetchTimeoutError(url, this.options.timeoutMs);
      if ((err as { code?: string }).code?.startsWith('CF_ERR_')) throw err;
      const cause = err as NodeJS.ErrnoException;
      if (cause.cause instanceof Error && (cause.cause as { code?: string }).code?.startsWith('CF_ERR_'))
        throw cause.cause;
      throw new FetchFailedError(url, cause.code ?? cause.message);
    } finally {
      scope.dispose();
    }
  }

  private async follow(
    start: string,
    signal: AbortSignal,
    keepBody: (contentType: string | null) => boolean,
    truncateAt: number | undefined,
    extraHeaders: Record<string, string>,
    onRedirect?: (next: string) => Promise<void>,
  ): Promise<FetchedPage> {
    let current = checkFetchUrl(start, this.policy);
    for (let hop = 0; ; hop++) {
      const response = await request(current, {
        dispatcher: this.agent,
        method: 'GET',
        signal,
        headers: {
          'user-agent': this.options.userAgent,
          accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8',
          'accept-encoding': 'gzip, deflate, br',
          ...extraHeaders,
        },
      });
      const location = header(response.headers, 'location');
      if (REDIRECTS.has(response.statusCode) && location) {
        discard(response.body);
        if (hop >= this.options.maxRedirects) {
          throw new RedirectError(start, `more than ${this.options.maxRedirects} redirects`);
        }
        let next: string;
        try {
          next = new URL(location, current).toString();
        } catch {
          throw new RedirectError(start, `invalid Location ${JSON.stringify(location)}`);
        }
        current = checkFetchUrl(next, this.policy);
        await onRedirect?.(current.toString());
        continue;
      }
      const contentType = header(response.headers, 'content-type') ?? null;
      const { bytes, data } = await readBody(response.body, {
        url: current.toString(),
        encoding: header(response.headers, 'content-encoding'),
        maxBytes: truncateAt ?? this.options.maxBytes,
        keep: keepBody(contentType),
        truncate: truncateAt !== undefined,
      });
      const etag = header(response.headers, 'etag') ?? null;
      const lastModified = header(response.headers, 'last-modified') ?? null;
      const retryAfter = header(response.headers, 'retry-after') ?? null;
      const finalUrl = current.toString();
      const status = response.statusCode;
      return { url: start, finalUrl, status, contentType, etag, lastModified, retryAfter, body: data, bytes };
    }
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}
