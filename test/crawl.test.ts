import type { FastifyInstance } from 'fastify';
import { buildApp } from '@crawlfleet/api';
import type { Config } from '@crawlfleet/core';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  HOSTILE,
  reachable,
  startCrawlSite,
  type FixtureSite,
  eventually,
  silentLogger,
  testConfig,
  postJson,
} from '@crawlfleet/testkit';

/*
 * Recursive crawls of a generated local site through the API, with crawl
 * workers in this process. Each test uses its own site, so hit counts are
 * its own.
 */

const N = 300;
let app: FastifyInstance;
let config: Config;
let worker: RunningWorker;
let site: FixtureSite;

beforeAll(async () => {
  config = testConfig(inject('redisUrl'), {
    CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
    CRAWL_TIMEOUT_MS: '1000',
    CRAWL_MAX_BYTES: '1048576',
    JOB_ATTEMPTS: '2',
  });
  app = await buildApp(config, { logger: false });
  worker = await startWorker({ config, queue: 'crawl', logger: silentLogger });
  await eventually(() => app.jobQueues.ready);
});
afterAll(async () => {
  await worker.close(5000);
  await app.close();
});
afterEach(async () => {
  await site?.close();
});

async function startCrawl(body: Record<string, unknown>) {
  const reply = await postJson(app, '/v1/crawls', body);
  expect(reply.statusCode, reply.body).toBe(202);
  return reply.json<{ id: string; url: string }>();
}

async function finished(url: string, ms = 30_000) {
  const reply = await app.inject({ url: `${url}?wait=${ms}` });
  return reply.json();
}

async function allPages(url: string) {
  const reply = await app.inject({ url: `${url}/pages`, headers: { accept: 'application/x-ndjson' } });
  expect(reply.headers['content-type']).toMatch(/application\/x-ndjson/);
  return reply.body
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** What a crawl reads beside its pages (the site has no sitemap: /sitemap.xml answers 404). */
const SITE_FILES = ['/robots.txt', '/sitemap.xml'];

function fetchedPaths(): string[] {
  return [...site.hits.keys()].filter((path) => !SITE_FILES.includes(path));
}

describe('a full crawl', () => {
  it('fetches every reachable page exactly once, never a disallowed one, and completes', async () => {
    site = await startCrawlSite(N);
    const crawl = await startCrawl({ url: `${site.url}/`, maxDepth: 100, maxPages: 5000 });
    const done = await finished(crawl.url, 30_000);
    expect(done.state).toBe('completed');
    const expected = reachable(N, 100);
    expect(new Set(fetchedPaths())).toEqual(new Set(expected.keys()));
    for (const path of expected.keys()) {
      if (!HOSTILE.includes(path)) expect(site.hits.get(path), path).toBe(1);
    }
    expect(site.hits.get('/private/secret')).toBeUndefined();
    expect(site.hits.get('/robots.txt')).toBe(1);
    expect(site.hits.get('/sitemap.xml')).toBe(1);

    const pages = await allPages(crawl.url);
    const normal = expected.size - HOSTILE.length;
    expect(pages).toHaveLength(expected.size);
    expect(done.stats).toMatchObject({ queued: expected.size, fetched: normal + 1, failed: HOSTILE.length - 1 });
    expect(done.stats.skipped).toBeGreaterThan(0); // the /private/secret?from=… links
    expect(done.stats.discovered).toBe(done.stats.queued + done.stats.skipped);
    const byPath = new Map(pages.map((record) => [new URL(record.url).pathname, record]));
    // /p/1 and /p/5 (page 0 links to /p/1 twice), itself (#self) and /private/secret?from=0.
    expect(byPath.get('/p/0')).toMatchObject({ depth: 1, status: 200, title: 'Page 0', links: 4, error: null });
    expect(byPath.get('/data.json')).toMatchObject({ status: 200, title: null, links: 0, error: null });
    expect(byPath.get('/slow')!.error).toMatch(/CF_ERR_FETCH_TIMEOUT/);
    expect(byPath.get('/huge')!.error).toMatch(/CF_ERR_BODY_TOO_LARGE/);
    expect(byPath.get('/bomb')!.error).toMatch(/CF_ERR_BODY_TOO_LARGE/);
    expect(byPath.get('/loop')!.error).toMatch(/CF_ERR_REDIRECT/);
    expect(byPath.get('/error')!.error).toMatch(/CF_ERR_UPSTREAM_STATUS/);
    expect(site.hits.get('/error')).toBe(2); // retried once, then recorded as failed
    expect(done.finishedAt).not.toBeNull();
  });
});

describe('limits', () => {
  it('never fetches more than maxPages', async () => {
    site = await startCrawlSite(N);
    const crawl = await startCrawl({ url: `${site.url}/p/0`, maxDepth: 100, maxPages: 25 });
    const done = await finished(crawl.url);
    expect(done.state).toBe('completed');
    expect(fetchedPaths()).toHaveLength(25);
    expect(done.stats.fetched + done.stats.failed).toBe(25);
    expect(done.stats.queued).toBe(25);
  });

  it('fetches only the seed with maxDepth 0', async () => {
    site = await startCrawlSite(N);
    const crawl = await startCrawl({ url: `${site.url}/`, maxDepth: 0 });
    const done = await finished(crawl.url);
    expect(done).toMatchObject({ state: 'completed', stats: { fetched: 1, queued: 1, discovered: 1 } });
    expect(fetchedPaths()).toEqual(['/']);
  });

  it('follows links exactly maxDepth deep', async () => {
    site = await startCrawlSite(N);
    const crawl = await startCrawl({ url: `${site.url}/`, maxDepth: 3 });
    await finished(crawl.url);
    expect(new Set(fetchedPaths())).toEqual(new Set(reachable(N, 3).keys()));
    const pages = await allPages(crawl.url);
    expect(Math.max(...pages.map((record) => record.depth))).toBe(3);
  });

  it("keeps a path scope to the seed's folder", async () => {
    site = await startCrawlSite(N);
    const links = (hrefs: string[]) => hrefs.map((href) => `<a href="${href}">x</a>`).join('');
    const pages: Record<string, string[]> = {
      '/docs/': ['/docs/a', '/docs/b/c.html', '/blog/x', '/docsx', '/'],
      '/docs/a': ['/docs/deep/d', '/p/1'],
    };
    for (const [path, hrefs] of Object.entries(pages))
      site.route(path, (_req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(`<title>${path}</title>${links(hrefs)}`);
      });
    const crawl = await startCrawl({ url: `${site.url}/docs/`, maxDepth: 5, scope: 'path' });
    const done = await finished(crawl.url);
    expect(new Set(fetchedPaths())).toEqual(new Set(['/docs/', '/docs/a', '/docs/b/c.html', '/docs/deep/d']));
    expect(done.options.scope).toBe('path');
  });

  it('keeps to include and exclude globs', async () => {
    site = await startCrawlSite(N);
    const crawl = await startCrawl({ url: `${site.url}/`, maxDepth: 100, include: ['/p/**'], exclude: ['/p/1*'] });
    await finished(crawl.url);
    const paths = fetchedPaths();
    expect(paths).toContain('/');
    expect(
      paths.filter((path) => path !== '/').every((path) => path.startsWith('/p/') && !path.startsWith('/p/1')),
    ).toBe(true);
    expect(paths.length).toBeGreaterThan(50);
  });
});

describe('canonical URLs', () => {
  const QUERY_LINKS = [
    '/list?b=2&a=1',
    '/list?a=1&b=2',
    '/list?a=1&&b=2&utm_source=mail',
    '/list?fbclid=xyz&b=2&a=1#top',
    '/item?',
    '/item',
    '/item?utm_campaign=spring',
  ];

  async function querySite() {
    site = await startCrawlSite(N);
    const links = QUERY_LINKS.map((href) => `<a href="${href}">x</a>`).join('');
    site.route('/q', (_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<title>q</title>${links}`);
    });
    return site;
  }

  function requested(prefix: string) {
    return site.log.map((entry) => entry.path).filter((path) => path.startsWith(prefix));
  }

  it('fetches a page once however its links order, empty or track its query; records the canonical url', async () => {
    await querySite();
    const crawl = await startCrawl({ url: `${site.url}/q?`, maxDepth: 1 });
    const done = await finished(crawl.url);
    expect(done.seed).toBe(`${site.url}/q`);
    expect(requested('/list')).toEqual(['/list?a=1&b=2']);
    expect(requested('/item')).toEqual(['/item']);
    const urls = (await allPages(crawl.url)).map((record) => record.url).sort();
    expect(urls).toEqual([`${site.url}/item`, `${site.url}/list?a=1&b=2`, `${site.url}/q`]);
  });

  it('keeps tracking parameters with keepTrackingParameters, drops every query with ignoreQueryParameters', async () => {
    await querySite();
    const kept = await startCrawl({ url: `${site.url}/q`, maxDepth: 1, keepTrackingParameters: true });
    await finished(kept.url);
    expect(new Set(requested('/list'))).toEqual(
      new Set(['/list?a=1&b=2', '/list?a=1&b=2&utm_source=mail', '/list?a=1&b=2&fbclid=xyz']),
    );
    expect(new Set(requested('/item'))).toEqual(new Set(['/item', '/item?utm_campaign=spring']));
    site.log.length = 0;
    const ignored = await startCrawl({ url: `${site.url}/q?z=1`, maxDepth: 1, ignoreQueryParameters: true });
    const done = await finished(ignored.url);
    expect(done.seed).toBe(`${site.url}/q`);
    expect(done.options).toMatchObject({ ignoreQueryParameters: true, keepTrackingParameters: false });
    expect(requested('/list')).toEqual(['/list']);
    expect(requested('/item')).toEqual(['/item']);
  });
});

describe('truthful ends', () => {
  it('fails a crawl none of whose pages answered 2xx, and completes one where one did', async () => {
    site = await startCrawlSite(N);
    site.route('/gone', (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<title>Not here</title><a href="/gone2">more</a>');
    });
    site.route('/gone2', (_req, res) => res.writeHead(410).end());
    const failed = await finished((await startCrawl({ url: `${site.url}/gone` })).url);
    expect(failed).toMatchObject({ state: 'failed', stats: { fetched: 2, failed: 0 } });
    // Cancelling it is refused in the state reads report, not the one it is stored as.
    const cancel = await app.inject({ method: 'DELETE', url: `/v1/crawls/${failed.id}` });
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().message).toMatch(/is already failed/);
    const listed = (await app.inject({ url: '/v1/crawls?state=failed' })).json().items;
    expect(listed.map((crawl: { id: string }) => crawl.id)).toContain(failed.id);
    const fine = await finished((await startCrawl({ url: `${site.url}/p/0`, maxDepth: 0 })).url);
    expect(fine.state).toBe('completed');
  });
});

describe('robots.txt that cannot be read', () => {
  it('fails the pages and says why: here the address is refused (private networks off, the default)', async () => {
    const strict = testConfig(config.redisUrl, { CRAWL_TIMEOUT_MS: '1000' });
    const strictApp = await buildApp(strict, { logger: false });
    const strictWorker = await startWorker({ config: strict, queue: 'crawl', logger: silentLogger });
    try {
      site = await startCrawlSite(5);
      await eventually(() => strictApp.jobQueues.ready);
      const reply = await postJson(strictApp, '/v1/crawls', { url: `${site.url}/` });
      expect(reply.statusCode, reply.body).toBe(202);
      const done = (await strictApp.inject({ url: `${reply.json().url}?wait=30000` })).json();
      // A seed robots.txt refuses is a failure with its record: the crawl failed.
      expect(done).toMatchObject({ state: 'failed', stats: { fetched: 0, failed: 1, skipped: 0 } });
      const pages = (await strictApp.inject({ url: `${reply.json().url}/pages` })).json().items;
      const address = '127.0.0.1 is not a public address';
      const refused = `CF_ERR_FETCH_REFUSED: Refused to fetch ${site.url}/robots.txt: ${address}`;
      expect(pages[0].error).toBe(
        `CF_ERR_ROBOTS_UNAVAILABLE: robots.txt of ${site.url} could not be fetched: ${refused}, ` +
          'so the site is treated as disallowing all',
      );
      expect(site.hits.size).toBe(0);
    } finally {
      await strictWorker.close(5000);
      await strictApp.close();
    }
  });
});

describe('politeness and cancel', () => {
  it('spaces requests to a host by delayMs', async () => {
    site = await startCrawlSite(N);
    const crawl = await startCrawl({ url: `${site.url}/p/0`, maxDepth: 100, maxPages: 8, delayMs: 150 });
    const done = await finished(crawl.url);
    expect(done.stats.fetched).toBe(8);
    const times = site.log.filter((entry) => !SITE_FILES.includes(entry.path)).map((entry) => entry.at);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(140);
  });

  it("ends a crawl past maxDurationMs at once, not after its queue's delayMs each", async () => {
    site = await startCrawlSite(N);
    const started = Date.now();
    const crawl = await startCrawl({ url: `${site.url}/p/0`, maxDepth: 100, delayMs: 3000, maxDurationMs: 1000 });
    const done = await finished(crawl.url);
    expect(done).toMatchObject({ state: 'completed', stopReason: 'maxDuration' });
    // The seed's links were queued; past the budget they are dropped together (counted as skipped).
    expect(done.stats.skipped).toBeGreaterThan(2);
    expect(done.stats.fetched).toBeLessThanOrEqual(2);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('stops fetching once DELETE returns', async () => {
    site = await startCrawlSite(N);
    const crawl = await startCrawl({ url: `${site.url}/p/0`, maxDepth: 100, delayMs: 100 });
    await eventually(() => fetchedPaths().length >= 3, 10_000, 'a few pages');
    const reply = await app.inject({ method: 'DELETE', url: crawl.url });
    expect(reply.statusCode).toBe(200);
    expect(reply.json().state).toBe('cancelled');
    const after = site.log.length;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(site.log.length).toBe(after);
    const { queues } = (await app.inject({ url: '/v1/queues' })).json();
    const crawlQueue = queues.find((queue: { type: string }) => queue.type === 'crawl');
    expect(crawlQueue.counts.waiting + crawlQueue.counts.delayed).toBe(0);
    const again = await app.inject({ method: 'DELETE', url: crawl.url });
    expect(again.json().state, again.body).toBe('cancelled');
  });
});

describe('crawl events', () => {
  it('streams stats as they change and ends with the completed crawl', async () => {
    site = await startCrawlSite(N);
    const crawl = await startCrawl({ url: `${site.url}/p/0`, maxDepth: 100, maxPages: 40 });
    const reply = await app.inject({ url: `${crawl.url}/events` });
    expect(reply.headers['content-type']).toMatch(/text\/event-stream/);
    const events = reply.body
      .split('\n\n')
      .filter((block) => block.startsWith('event:'))
      .map((block) => block.split('\n')[0].slice(7));
    expect(events[0]).toBe('stats');
    expect(events.at(-1)).toBe('completed');
    const last = JSON.parse(reply.body.trim().split('\n').at(-1)!.slice(6));
    expect(last.stats.fetched).toBe(40);
  });

  it("pushes a crawl's end to a waiting client at once, and to one that waits after it", async () => {
    site = await startCrawlSite(N);
    site.route('/slow-end', (_req, res) => {
      setTimeout(() => {
        res.setHeader('content-type', 'text/html');
        res.end('<title>slow</title>');
      }, 600);
    });
    const crawl = await startCrawl({ url: `${site.url}/slow-end`, maxDepth: 0 });
    const done = (await app.inject({ url: `${crawl.url}?wait=10000` })).json();
    const heard = Date.now();
    expect(done.state).toBe('completed');
    // Read every second at most while waiting: only the pushed end is this quick.
    expect(heard - Date.parse(done.finishedAt)).toBeLessThan(200);
    const again = Date.now();
    expect((await app.inject({ url: `${crawl.url}?wait=10000` })).json().state).toBe('completed');
    expect(Date.now() - again).toBeLessThan(200);
  });
});

describe('the crawl API', () => {
  it.each([
    [{ url: 'ftp://example.org/' }, 'body.url'],
    [{ url: 'https://example.org/', maxDepth: -1 }, 'body.maxDepth'],
    [{ url: 'https://example.org/', maxPages: 0 }, 'body.maxPages'],
    [{ url: 'https://example.org/', scope: 'planet' }, 'body.scope'],
    [{ url: 'https://example.org/', include: '/docs' }, 'body.include'],
    [{ url: 'https://example.org/', include: ['/ok/**', 'docs/**'] }, 'body.include[1]'],
    [{ url: 'https://example.org/', exclude: ['a.pdf'] }, 'body.exclude[0]'],
    [{ url: 'https://example.org/', delayMs: 1.5 }, 'body.delayMs'],
    [{ url: 'https://example.org/', maxdepth: 2 }, 'body.maxdepth'],
    [{}, 'body.url'],
    [{ url: 'https://user:secret@example.org/' }, 'body.url'],
    [{ url: 'http://example.org:99999/' }, 'body.url'],
  ])('answers %j with a 400 naming %s', async (body, field) => {
    const reply = await postJson(app, '/v1/crawls', body);
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ code: 'CF_ERR_VALIDATION', field });
  });

  it('names the allowed scopes', async () => {
    const reply = await postJson(app, '/v1/crawls', '{"url":"https://example.org/","scope":"planet"}');
    expect(reply.json().message).toBe('body.scope must be one of host, path, domain, any');
  });

  it('answers 404 for an unknown crawl on every route', async () => {
    for (const [method, url] of [
      ['GET', '/v1/crawls/nope'],
      ['GET', '/v1/crawls/nope/pages'],
      ['DELETE', '/v1/crawls/nope'],
    ] as const) {
      const reply = await app.inject({ method, url });
      expect(reply.statusCode).toBe(404);
      expect(reply.json().code).toBe('CF_ERR_CRAWL_NOT_FOUND');
    }
  });

  it('shows defaults, and pages through records with a cursor', async () => {
    site = await startCrawlSite(N);
    const crawl = await startCrawl({ url: `${site.url}/p/0`, maxPages: 30, maxDepth: 100 });
    const done = await finished(crawl.url);
    expect(done).toMatchObject({
      id: crawl.id,
      seed: `${site.url}/p/0`,
      options: {
        maxDepth: 100,
        maxPages: 30,
        scope: 'host',
        include: [],
        exclude: [],
        respectRobots: true,
        delayMs: null,
      },
    });
    const seen: string[] = [];
    let cursor: string | null = '0';
    while (cursor !== null) {
      const reply = await app.inject({ url: `${crawl.url}/pages?limit=7&cursor=${cursor}` });
      const body: { items: { url: string }[]; next: string | null } = reply.json();
      expect(body.items.length).toBeLessThanOrEqual(7);
      seen.push(...body.items.map((record: { url: string }) => record.url));
      cursor = body.next;
    }
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    const bad = await app.inject({ url: `${crawl.url}/pages?cursor=abc` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('querystring.cursor');
  });

  it('answers 409 when cancelling a completed crawl', async () => {
    site = await startCrawlSite(N);
    const crawl = await startCrawl({ url: `${site.url}/p/0`, maxDepth: 0 });
    await finished(crawl.url);
    const reply = await app.inject({ method: 'DELETE', url: crawl.url });
    expect(reply.statusCode).toBe(409);
    expect(reply.json().code).toBe('CF_ERR_CRAWL_FINISHED');
  });
});
