import { lookup } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureSite, type FixtureSite } from '@crawlfleet/testkit';
import { isRetryable } from '../errors.js';
import { publicOnly } from './address-policy.js';
import { crawlPage } from './crawl-page.js';
import type { LookupFunction } from './guarded-agent.js';
import { SafeFetcher, type SafeFetchOptions } from './safe-fetch.js';

const limits: SafeFetchOptions = {
  userAgent: 'crawlfleet-test',
  timeoutMs: 1500,
  connectTimeoutMs: 1000,
  maxBytes: 1024 * 1024,
  maxRedirects: 3,
  allowPrivateNetworks: true,
};

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

describe('crawlPage against a local site', () => {
  let site: FixtureSite;
  let fetcher: SafeFetcher;

  beforeAll(async () => {
    site = await startFixtureSite();
    fetcher = new SafeFetcher(limits);
  });
  afterAll(async () => {
    await fetcher.close();
    await site.close();
  });

  it('records the page and its absolute links', async () => {
    const result = await crawlPage(fetcher, { url: `${site.url}/` });
    expect(result).toMatchObject({ url: `${site.url}/`, finalUrl: `${site.url}/`, status: 200, title: 'Home page' });
    expect(result.contentType).toMatch(/text\/html/);
    expect(result.bytes).toBeGreaterThan(100);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.links).toEqual([
      `${site.url}/a`,
      `${site.url}/b.html`,
      `${site.url}/c/d?x=1`,
      'http://example.org/Path',
      `${site.url}/`,
      `${site.url}/area`,
    ]);
  });

  it.each([null, {}, { url: 5 }])('refuses %j as invalid input, never retried', async (input) => {
    await expect(crawlPage(fetcher, input as unknown as { url: string })).rejects.toMatchObject({
      code: 'CF_ERR_INVALID_INPUT',
    });
  });

  it('resolves links against <base href>', async () => {
    const result = await crawlPage(fetcher, { url: `${site.url}/base` });
    expect(result.links).toEqual([`${site.url}/docs/v2/intro`, `${site.url}/docs/v1/old`, `${site.url}/root`]);
  });

  it('follows redirects and resolves links against the final URL', async () => {
    const result = await crawlPage(fetcher, { url: `${site.url}/redirect#frag` });
    expect(result.url).toBe(`${site.url}/redirect#frag`);
    expect(result.finalUrl).toBe(`${site.url}/moved/here`);
    expect(result.links).toEqual([`${site.url}/moved/sibling`, `${site.url}/up`]);
  });

  it('decompresses gzip bodies', async () => {
    const result = await crawlPage(fetcher, { url: `${site.url}/gzip` });
    expect(result.title).toBe('Zipped');
    expect(result.links).toEqual([`${site.url}/a`]);
  });

  it('records non-HTML bodies without parsing them', async () => {
    const result = await crawlPage(fetcher, { url: `${site.url}/data.json` });
    expect(result).toMatchObject({ status: 200, contentType: 'application/json', title: null, links: [] });
    expect(result.bytes).toBeGreaterThan(10);
  });

  it('records a 404 as a result', async () => {
    const result = await crawlPage(fetcher, { url: `${site.url}/missing` });
    expect(result.status).toBe(404);
  });

  it('throws a retryable error for a 5xx', async () => {
    const err = await failure(crawlPage(fetcher, { url: `${site.url}/error` }));
    expect(err.code).toBe('CF_ERR_UPSTREAM_STATUS');
    expect(isRetryable(err)).toBe(true);
  });

  it('stops a page that trickles bytes at the deadline', async () => {
    const started = Date.now();
    const err = await failure(crawlPage(fetcher, { url: `${site.url}/slow` }));
    expect(err.code).toBe('CF_ERR_FETCH_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(limits.timeoutMs + 2000);
  });

  it('stops an oversized body at the cap', async () => {
    const err = await failure(crawlPage(fetcher, { url: `${site.url}/huge` }));
    expect(err.code).toBe('CF_ERR_BODY_TOO_LARGE');
    expect(isRetryable(err)).toBe(false);
  });

  it('stops a gzip bomb at the cap on decompressed bytes', async () => {
    const err = await failure(crawlPage(fetcher, { url: `${site.url}/bomb` }));
    expect(err.code).toBe('CF_ERR_BODY_TOO_LARGE');
  });

  it('stops a redirect loop at the redirect cap', async () => {
    const err = await failure(crawlPage(fetcher, { url: `${site.url}/loop` }));
    expect(err.code).toBe('CF_ERR_REDIRECT');
    expect(err.message).toMatch(/more than 3 redirects/);
  });

  it('aborts when the caller cancels', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const err = await failure(crawlPage(fetcher, { url: `${site.url}/slow` }, controller.signal));
    expect(err.code).toBe('CF_ERR_CANCELLED');
  });
});

describe('SSRF guard', () => {
  let loopback: FixtureSite;
  let publicSite: FixtureSite;
  let fetcher: SafeFetcher;

  beforeAll(async () => {
    loopback = await startFixtureSite('127.0.0.1');
    // 127.0.0.2 plays a public host: the policy below lets only it through.
    publicSite = await startFixtureSite('127.0.0.2', {
      '/to-loopback': (_req, res) => {
        res.writeHead(302, { location: `http://127.0.0.1:${loopback.port}/` });
        res.end();
      },
      '/to-localhost': (_req, res) => {
        res.writeHead(302, { location: `http://localhost:${loopback.port}/` });
        res.end();
      },
    });
    const resolve: LookupFunction = (hostname, options, callback) => {
      if (hostname === 'public.example') {
        return options.all ? callback(null, [{ address: '127.0.0.2', family: 4 }]) : callback(null, '127.0.0.2', 4);
      }
      return (lookup as unknown as LookupFunction)(hostname, options, callback);
    };
    fetcher = new SafeFetcher({
      ...limits,
      allowPrivateNetworks: false,
      policy: (address) => address === '127.0.0.2' || publicOnly(address),
      resolve,
    });
  });
  afterAll(async () => {
    await fetcher.close();
    await loopback.close();
    await publicSite.close();
  });

  it('fetches the allowed host', async () => {
    const result = await crawlPage(fetcher, { url: `http://public.example:${publicSite.port}/page` });
    expect(result.status).toBe(200);
  });

  it.each([
    ['127.0.0.1', (port: number) => `http://127.0.0.1:${port}/`],
    ['localhost', (port: number) => `http://localhost:${port}/`],
    ['[::1]', (port: number) => `http://[::1]:${port}/`],
    ['0.0.0.0', (port: number) => `http://0.0.0.0:${port}/`],
    ['decimal 2130706433', (port: number) => `http://2130706433:${port}/`],
    ['::ffff:127.0.0.1', (port: number) => `http://[::ffff:127.0.0.1]:${port}/`],
  ])('refuses %s without connecting', async (_name, url) => {
    const before = loopback.hits.get('/') ?? 0;
    const err = await failure(crawlPage(fetcher, { url: url(loopback.port) }));
    expect(err.code).toBe('CF_ERR_FETCH_REFUSED');
    expect(isRetryable(err)).toBe(false);
    expect(loopback.hits.get('/') ?? 0).toBe(before);
  });

  it.each(['/to-loopback', '/to-localhost'])('refuses a public page that redirects to loopback (%s)', async (path) => {
    const before = loopback.hits.get('/') ?? 0;
    const err = await failure(crawlPage(fetcher, { url: `http://public.example:${publicSite.port}${path}` }));
    expect(err.code).toBe('CF_ERR_FETCH_REFUSED');
    expect(publicSite.hits.get(path)).toBe(1);
    expect(loopback.hits.get('/') ?? 0).toBe(before);
  });

  it('refuses schemes other than http and https', async () => {
    const err = await failure(crawlPage(fetcher, { url: 'file:///etc/passwd' }));
    expect(err.code).toBe('CF_ERR_FETCH_REFUSED');
    expect(err.message).toMatch(/only http and https/);
  });
});
