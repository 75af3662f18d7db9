import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { inProcessFleet } from './in-process-fleet.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawlKeys, urlHash } from '@crawlfleet/core';
import { postJson, startFixtureSite, type FixtureSite } from '@crawlfleet/testkit';

/* Incremental recrawls: conditional requests from the old crawl's records, and what changed. */

let app: FastifyInstance;
let fleet: Awaited<ReturnType<typeof inProcessFleet>>;
let site: FixtureSite;
const body: Record<string, string> = {
  '/r': '<a href="/a">a</a><a href="/b">b</a><a href="/c">c</a>',
  '/a': '<p>stays the same</p><a href="/a2">a2</a>',
  '/a2': '<p>only linked from a</p>',
  '/b': '<p>first version</p>',
  '/c': '<p>will be unlinked</p>',
  '/d': '<p>new page</p>',
  '/r2': '<a href="/qa?b=2&a=1">qa</a>',
  '/qa': '<p>a page with a query</p>',
};
/** The conditional headers each request came with. */
const seen: { path: string; ifNoneMatch?: string; ifModifiedSince?: string }[] = [];

function serve(req: IncomingMessage, res: ServerResponse, url: URL) {
  const html = `<html><body>${body[url.pathname]}</body></html>`;
  const etag = `"${createHash('sha256').update(html).digest('hex').slice(0, 16)}"`;
  seen.push({
    path: url.pathname,
    ifNoneMatch: req.headers['if-none-match'],
    ifModifiedSince: req.headers['if-modified-since'],
  });
  if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
  res.writeHead(200, { 'content-type': 'text/html', etag, 'last-modified': 'Tue, 01 Dec 2026 06:00:00 GMT' });
  res.end(html);
}

beforeAll(async () => {
  site = await startFixtureSite('127.0.0.1', {});
  for (const path of Object.keys(body)) site.route(path, serve);
  const env = { CRAWL_ALLOW_PRIVATE_NETWORKS: 'true' };
  fleet = await inProcessFleet(env);
  app = fleet.app;
});
afterAll(async () => {
  await fleet.close();
  await site.close();
});

async function finished(start: { statusCode: number; body: string; json: () => { url: string } }) {
  expect(start.statusCode, start.body).toBe(202);
  const { url } = start.json();
  const crawl = (await app.inject({ url: `${url}?wait=15000` })).json();
  expect(crawl.state).toBe('completed');
  const lines = (await app.inject({ url: `${url}/pages`, headers: { accept: 'application/x-ndjson' } })).body;
  const records = lines
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { url: string; change?: string; status?: number });
  return { crawl, records, path: (record: { url: string }) => record.url.replace(site.url, '') };
}

describe('recrawlOf', () => {
  it('asks conditionally, marks every change, and follows an unchanged page as it was', async () => {
    const first = await finished(
      await postJson(app, '/v1/crawls', { url: `${site.url}/r`, maxDepth: 2, sitemap: 'skip' }),
    );
    expect(first.records.map(first.path).sort()).toEqual(['/a', '/a2', '/b', '/c', '/r']);

    body['/r'] = '<a href="/a">a</a><a href="/b">b</a><a href="/d">d</a>';
    body['/b'] = '<p>second version</p>';
    seen.length = 0;
    // Only recrawlOf: the seed and options are the old crawl's.
    const second = await finished(await postJson(app, '/v1/crawls', { recrawlOf: first.crawl.id }));
    expect(second.crawl.options).toMatchObject({ recrawlOf: first.crawl.id, maxDepth: 2, sitemap: 'skip' });
    expect(second.crawl.seed).toBe(`${site.url}/r`);
    const change = Object.fromEntries(second.records.map((record) => [second.path(record), record.change]));
    expect(change).toEqual({
      '/r': 'changed',
      '/a': 'unchanged',
      '/a2': 'unchanged',
      '/b': 'changed',
      '/d': 'new',
      '/c': 'removed',
    });
    // The removed page comes last, and alone says so.
    expect(second.records.at(-1)).toEqual({ url: `${site.url}/c`, change: 'removed' });
    expect(second.crawl.stats).toMatchObject({ new: 1, changed: 2, unchanged: 2, removed: 1 });
    // The unchanged page was answered 304, and its link (/a2) still followed.
    expect(second.records.find((record) => second.path(record) === '/a')?.status).toBe(304);
    const asked = Object.fromEntries(seen.map((request) => [request.path, request]));
    expect(asked['/a'].ifNoneMatch).toMatch(/^"[0-9a-f]{16}"$/);
    expect(asked['/b'].ifModifiedSince).toBe('Tue, 01 Dec 2026 06:00:00 GMT');
    expect(asked['/d'].ifNoneMatch).toBeUndefined();
  });

  it('maps the URLs of a crawl from before canonical URLs (query as written) to their canonical form', async () => {
    const first = await finished(await postJson(app, '/v1/crawls', { url: `${site.url}/r2`, sitemap: 'skip' }));
    const canonical = `${site.url}/qa?a=1&b=2`;
    expect(first.records.map((record) => record.url).sort()).toEqual([canonical, `${site.url}/r2`]);
    // What such a crawl holds: no urlForm, its page known by the URL as its link wrote it.
    const redis = app.jobQueues.redis;
    const keys = crawlKeys(app.config.queuePrefix, first.crawl.id);
    const written = `${site.url}/qa?b=2&a=1`;
    const validators = JSON.parse((await redis.hget(keys.validators, urlHash(canonical)))!);
    await redis.hdel(keys.meta, 'urlForm');
    await redis.hdel(keys.validators, urlHash(canonical));
    await redis.hset(keys.validators, urlHash(written), JSON.stringify({ ...validators, u: written }));

    seen.length = 0;
    const second = await finished(await postJson(app, '/v1/crawls', { recrawlOf: first.crawl.id }));
    const change = Object.fromEntries(second.records.map((record) => [record.url, record.change]));
    expect(change).toEqual({ [`${site.url}/r2`]: 'unchanged', [canonical]: 'unchanged' });
    expect(second.crawl.stats).toMatchObject({ new: 0, removed: 0, unchanged: 2 });
    expect(seen.find((request) => request.path === '/qa')?.ifNoneMatch).toMatch(/^"[0-9a-f]{16}"$/);
  });

  it('is a 404 for a crawl that does not exist, and url is required without it', async () => {
    const unknown = await postJson(app, '/v1/crawls', { recrawlOf: 'no-such-crawl' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('CF_ERR_CRAWL_NOT_FOUND');
    const none = await postJson(app, '/v1/crawls', { maxDepth: 1 });
    expect(none.statusCode).toBe(400);
    expect(none.json().field).toBe('body.url');
  });
});
