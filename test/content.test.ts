import { createHash } from 'node:crypto';
import { buildApp } from '@crawlfleet/api';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postJson, silentLogger, startFixtureSite, testApi, testConfig, type FixtureSite } from '@crawlfleet/testkit';

/* What a crawled page yields beside its links: metadata, and duplicates within a crawl. */

let app: FastifyInstance;
let worker: RunningWorker;
let site: FixtureSite;

const twin = (next: string) =>
  `<html><head><title>Twin</title></head><body><p>The same words.</p><a href="${next}">next</a></body></html>`;

beforeAll(async () => {
  site = await startFixtureSite('127.0.0.1', {
    '/meta': (_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html',
        etag: '"v1"',
        'last-modified': 'Tue, 01 Dec 2026 06:00:00 GMT',
      });
      res.end(
        '<html lang="en-GB"><head><title> About  us </title><meta name="Description" content="  Who we\n are ">' +
          '<link rel="alternate canonical" href="/about?ref=1#x"><script>var hidden = "not text";</script></head>' +
          '<body><h1>About</h1><p>We  crawl.</p><style>p { color: red }</style></body></html>',
      );
    },
    '/twins': (_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<html><body><a href="/twin-a">a</a> <a href="/twin-b">b</a></body></html>');
    },
    '/twin-a': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(twin('/after-a')),
    '/twin-b': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(twin('/after-b')),
  });
  const env = { CRAWL_ALLOW_PRIVATE_NETWORKS: 'true' };
  app = await testApi(buildApp, inject('redisUrl'), env);
  worker = await startWorker({
    config: { ...testConfig(inject('redisUrl'), env), queuePrefix: app.config.queuePrefix },
    queue: 'crawl',
    logger: silentLogger,
  });
});
afterAll(async () => {
  await worker.close(3000);
  await app.close();
  await site.close();
});

describe('page metadata', () => {
  it('comes with every crawl job result: title, description, canonical, lang, validators, contentHash', async () => {
    const reply = await postJson(app, '/v1/jobs/crawl?wait=10000', { url: `${site.url}/meta` });
    expect(reply.json().result.metadata).toEqual({
      title: 'About us',
      description: 'Who we are',
      canonical: `${site.url}/about?ref=1`,
      lang: 'en-GB',
      etag: '"v1"',
      lastModified: 'Tue, 01 Dec 2026 06:00:00 GMT',
      contentHash: createHash('sha256').update('About us About We crawl.').digest('hex'),
    });
  });
});

describe('duplicates within a crawl', () => {
  it('marks the second of two pages with one text duplicateOf the first, and follows none of its links', async () => {
    const start = await postJson(app, '/v1/crawls', { url: `${site.url}/twins`, maxDepth: 2 });
    const { url } = start.json<{ url: string }>();
    expect((await app.inject({ url: `${url}?wait=15000` })).json().state).toBe('completed');
    const pages = (await app.inject({ url: `${url}/pages` })).json().items as {
      url: string;
      duplicateOf?: string;
      metadata: unknown;
    }[];
    const twins = pages.filter((page) => page.url.includes('/twin-'));
    expect(twins).toHaveLength(2);
    const [original, copy] = twins[0].duplicateOf ? [twins[1], twins[0]] : [twins[0], twins[1]];
    expect(original.duplicateOf).toBeUndefined();
    expect(copy.duplicateOf).toBe(original.url);
    const after = (page: { url: string }) => `/after-${page.url.endsWith('a') ? 'a' : 'b'}`;
    expect(site.hits.get(after(original))).toBe(1);
    expect(site.hits.get(after(copy))).toBeUndefined();
    expect(pages.every((page) => page.metadata !== undefined)).toBe(true);
  });
});
