import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { inProcessFleet } from './in-process-fleet.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startFixtureSite, type FixtureSite } from '@crawlfleet/testkit';

/* Sitemaps: named by robots.txt or at /sitemap.xml, indexes followed, .xml.gz read. */

let app: FastifyInstance;
let fleet: Awaited<ReturnType<typeof inProcessFleet>>;
let site: FixtureSite;
let plain: FixtureSite;
let spaced: FixtureSite;

const urlset = (urls: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls
    .map((url) => `<url><loc>${url}</loc><lastmod>2026-11-30</lastmod></url>`)
    .join('')}</urlset>`;
const html = (body: string) => (_req: unknown, res: ServerResponse) =>
  res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body>${body}</body></html>`);

beforeAll(async () => {
  site = await startFixtureSite('127.0.0.1', {});
  site.route('/robots.txt', (_req, res) =>
    res.end(`User-agent: *\nDisallow: /private\nSitemap: ${site.url}/maps/index.xml\n`),
  );
  site.route('/maps/index.xml', (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'application/xml' })
      .end(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' +
          `<sitemap><loc>${site.url}/maps/pages.xml.gz</loc></sitemap>` +
          `<sitemap><loc>${site.url}/maps/missing.xml</loc></sitemap>` +
          `<sitemap><loc>${site.url}/maps/bomb.xml.gz</loc></sitemap></sitemapindex>`,
      ),
  );
  site.route('/maps/pages.xml.gz', (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'application/gzip' })
      .end(
        gzipSync(
          urlset([
            `${site.url}/hidden-1`,
            `${site.url}/hidden-2?x=1&amp;y=2`,
            `${site.url}/private/page`,
            'http://elsewhere.example/out-of-scope',
            `${site.url}/linked`,
          ]),
        ),
      ),
  );
  // 20 MiB of XML in 20 KiB of gzip: inflated only up to CRAWL_MAX_BYTES, then passed over.
  const bomb = gzipSync(urlset([]).replace('</urlset>', `${' '.repeat(20 * 1024 * 1024)}</urlset>`));
  site.route('/maps/bomb.xml.gz', (_req, res) => res.writeHead(200, { 'content-type': 'application/gzip' }).end(bomb));
  site.route('/home', html('<a href="/linked">linked</a>'));
  site.route('/linked', html('<a href="/home">home</a>'));
  site.route('/hidden-1', html('<p>one</p>'));
  site.route('/hidden-2', html('<p>two</p>'));
  plain = await startFixtureSite('127.0.0.1', {});
  plain.route('/', html('<p>home</p>'));
  plain.route('/sitemap.xml', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/xml' }).end(urlset([`${plain.url}/only-in-sitemap`])),
  );
  plain.route('/only-in-sitemap', html('<p>found</p>'));

  // Three sitemap files under an index, each answering after 100 ms.
  spaced = await startFixtureSite('127.0.0.1', {});
  spaced.route('/robots.txt', (_req, res) => res.end(`User-agent: *\nSitemap: ${spaced.url}/index.xml\n`));
  spaced.route('/index.xml', (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'application/xml' })
      .end(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' +
          [1, 2, 3].map((n) => `<sitemap><loc>${spaced.url}/s${n}.xml</loc></sitemap>`).join('') +
          '</sitemapindex>',
      ),
  );
  for (const n of [1, 2, 3]) {
    spaced.route(`/s${n}.xml`, (_req, res) =>
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/xml' }).end(urlset([`${spaced.url}/p${n}`])), 100),
    );
    spaced.route(`/p${n}`, html(`<p>${n}</p>`));
  }
  spaced.route('/', html('<p>home</p>'));

  const env = { CRAWL_ALLOW_PRIVATE_NETWORKS: 'true' };
  fleet = await inProcessFleet(env);
  app = fleet.app;
});
afterAll(async () => {
  await fleet.close();
  await site.close();
  await plain.close();
  await spaced.close();
});

async function crawl(body: Record<string, unknown>) {
  const start = await postJson(app, '/v1/crawls', body);
  expect(start.statusCode).toBe(202);
  const { url } = start.json<{ url: string }>();
  const done = (await app.inject({ url: `${url}?wait=15000` })).json();
  expect(done.state).toBe('completed');
  const records = (await app.inject({ url: `${url}/pages` })).json().items as { url: string; error: string | null }[];
  const fetched = records.filter((record) => record.error === null).map((record) => record.url.replace(site.url, ''));
  return { stats: done.stats as Record<string, number>, fetched: fetched.sort(), records };
}

describe('sitemaps', () => {
  it('include (the default): adds the pages of a gzipped child of the index robots.txt names', async () => {
    const { stats, fetched, records } = await crawl({ url: `${site.url}/home`, maxDepth: 1 });
    expect(fetched).toEqual(['/hidden-1', '/hidden-2?x=1&y=2', '/home', '/linked']);
    // /linked is on the page too: only the two pages no link reaches count as from sitemaps.
    expect(stats.fromSitemaps).toBe(2);
    // robots.txt still decides (the disallowed page is skipped, not fetched); the other host is out of scope.
    expect(stats.skipped).toBe(1);
    expect(site.hits.get('/private/page')).toBeUndefined();
    expect(records.some((record) => /private|elsewhere/.test(record.url))).toBe(false);
    expect(site.hits.get('/maps/bomb.xml.gz')).toBe(1);
  });

  it("fetches each sitemap file as a request to its host: spaced by the crawl's delayMs, under its leases", async () => {
    const start = await postJson(app, '/v1/crawls', { url: `${spaced.url}/`, maxDepth: 1, delayMs: 300 });
    expect(start.statusCode).toBe(202);
    const done = (await app.inject({ url: `${start.json().url}?wait=15000` })).json();
    expect(done).toMatchObject({ state: 'completed', stats: { fetched: 4, fromSitemaps: 3 } });
    // The seed, the index, three files and three pages: every request 300 ms after the one before
    // (less a few ms between the worker's slot and the site's clock)
    // (robots.txt is not a request of the crawl's); the files were fetched back to back before.
    const requests = spaced.log.filter((entry) => entry.path !== '/robots.txt');
    expect(requests.map((entry) => entry.path).slice(0, 5)).toEqual([
      '/',
      '/index.xml',
      '/s1.xml',
      '/s2.xml',
      '/s3.xml',
    ]);
    expect(requests).toHaveLength(8);
    for (let i = 1; i < requests.length; i++)
      expect(requests[i].at - requests[i - 1].at, requests[i].path).toBeGreaterThanOrEqual(270);
  });

  it('skip: only links', async () => {
    const { stats, fetched } = await crawl({ url: `${site.url}/home`, maxDepth: 1, sitemap: 'skip' });
    expect(fetched).toEqual(['/home', '/linked']);
    expect(stats.fromSitemaps).toBe(0);
  });

  it('only: the seed and the sitemap pages, no links followed', async () => {
    const { stats, fetched } = await crawl({ url: `${site.url}/home`, maxDepth: 3, sitemap: 'only' });
    expect(fetched).toEqual(['/hidden-1', '/hidden-2?x=1&y=2', '/home', '/linked']);
    expect(stats.fromSitemaps).toBe(3);
    const onlyHidden = await crawl({ url: `${site.url}/hidden-1`, maxDepth: 3, sitemap: 'only' });
    // /linked is listed, /home is not: it is linked from /linked, and links are not followed.
    expect(onlyHidden.fetched).toEqual(['/hidden-1', '/hidden-2?x=1&y=2', '/linked']);
  });

  it('stays within maxPages, sitemap pages included', async () => {
    const { stats } = await crawl({ url: `${site.url}/home`, maxDepth: 1, maxPages: 2 });
    expect(stats.queued).toBe(2);
    expect(stats.fetched).toBe(2);
  });

  it('reads /sitemap.xml when robots.txt names none', async () => {
    const start = await postJson(app, '/v1/crawls', { url: `${plain.url}/`, maxDepth: 1 });
    const { url } = start.json<{ url: string }>();
    const done = (await app.inject({ url: `${url}?wait=15000` })).json();
    expect(done.stats).toMatchObject({ fetched: 2, fromSitemaps: 1 });
    expect(plain.hits.get('/only-in-sitemap')).toBe(1);
  });

  it('refuses an unknown sitemap mode, naming the field', async () => {
    const reply = await postJson(app, '/v1/crawls', { url: `${site.url}/home`, sitemap: 'all' });
    expect(reply.statusCode).toBe(400);
    expect(reply.json().field).toMatch(/sitemap/);
  });
});
