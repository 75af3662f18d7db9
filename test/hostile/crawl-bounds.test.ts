import { createServer, type Server } from 'node:http';
import { buildApp } from '@crawlfleet/api';
import { crawlKeys, type Config } from '@crawlfleet/core';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, silentLogger, testConfig, postJson } from '@crawlfleet/testkit';
import { html, manyLinks, startHostileSite, type HostileSite } from './hostile-site.js';

/*
 * Pages that used to crash or freeze a crawl worker: every case ends in a
 * bounded time with a bounded amount of state, and the worker goes on.
 */

let config: Config;
let app: FastifyInstance;
let worker: RunningWorker;
let site: HostileSite;
let redis: Redis;

beforeAll(async () => {
  config = testConfig(inject('redisUrl'), {
    CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
    CRAWL_TIMEOUT_MS: '2000',
    JOB_ATTEMPTS: '1',
  });
  app = await buildApp(config, { logger: false });
  worker = await startWorker({ config, queue: 'crawl', logger: silentLogger });
  site = await startHostileSite();
  redis = new Redis(config.redisUrl);
  await eventually(() => app.jobQueues.ready);
});
afterAll(async () => {
  await worker.close(5000);
  await app.close();
  await site.close();
  redis.disconnect();
});

async function crawl(body: Record<string, unknown>, ms = 20_000) {
  const started = Date.now();
  const reply = await postJson(app, '/v1/crawls', body);
  expect(reply.statusCode, reply.body).toBe(202);
  const { id, url } = reply.json<{ id: string; url: string }>();
  const done = (await app.inject({ url: `${url}?wait=${ms}` })).json();
  const pages = (await app.inject({ url: `${url}/pages?limit=1000` })).json().items as Record<string, unknown>[];
  const seen = await redis.scard(crawlKeys(config.queuePrefix, id).seen);
  return { done, pages, seen, ms: Date.now() - started };
}

describe('bounded pages', () => {
  it("keeps 5,000 of a page's 50,000 links, claims maxPages of them and adds no more to the seen-set", async () => {
    const { done, pages, seen, ms } = await crawl({ url: `${site.url}/links-50000`, maxDepth: 1, maxPages: 10 });
    expect(done.state).toBe('completed');
    expect(pages.find((page) => page.depth === 0)).toMatchObject({ links: 5000, status: 200 });
    expect(done.stats).toMatchObject({ queued: 10, fetched: 10 });
    expect(seen).toBe(10);
    expect(ms).toBeLessThan(10_000);
  });

  it('parses a page of 100,000 unclosed tags in linear time', async () => {
    const started = Date.now();
    const reply = await app.inject({
      method: 'POST',
      url: '/v1/jobs/crawl?wait=15000',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ url: `${site.url}/unclosed-100000` }),
    });
    expect(reply.json()).toMatchObject({ state: 'completed', result: { status: 200, links: [`${site.url}/u`] } });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('matching that cannot backtrack', () => {
  it('reads a robots.txt larger than the body cap up to 512 KiB instead of refusing the site', async () => {
    const origin = await startHostileSite({
      '/robots.txt': (_req, res) =>
        res.end(`User-agent: *\nDisallow: /private\n${'#'.repeat(6 * 1024 * 1024)}\nDisallow: /\n`),
    });
    try {
      const { done } = await crawl({ url: `${origin.url}/open`, maxDepth: 0 });
      expect(done).toMatchObject({ state: 'completed', stats: { fetched: 1 } });
    } finally {
      await origin.close();
    }
  });

  it('drops the line that the 512 KiB cut of a robots.txt falls in, instead of obeying what is left of it', async () => {
    // The cut lands just after "Disallow: /" of a longer rule: kept, that stub would disallow everything.
    const head = 'User-agent: *\n';
    const padding = '#'.repeat(512 * 1024 - head.length - 1 - 'Disallow: /'.length);
    const origin = await startHostileSite({
      '/robots.txt': (_req, res) => res.end(`${head}${padding}\nDisallow: /only-this-very-long-path\n`),
    });
    try {
      const { done, pages } = await crawl({ url: `${origin.url}/open`, maxDepth: 0 });
      expect(done, JSON.stringify(pages[0])).toMatchObject({ state: 'completed', stats: { fetched: 1, skipped: 0 } });
    } finally {
      await origin.close();
    }
  });

  it('crawls under a robots.txt of 480 long wildcard rules (480 KB) within the link time budget', async () => {
    const rule = `/${'*a'.repeat(500)}*b`;
    // A long <base href> turns 5,000 short hrefs into 5,000 links of 4 KB each, from a 90 KB page.
    const origin = await startHostileSite({
      '/robots.txt': (_req, res) =>
        res.end(`User-agent: *\n${Array.from({ length: 480 }, (_, i) => `Disallow: ${rule}${i}`).join('\n')}\n`),
      '/robots-links': (_req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(manyLinks(5000, 'x').replace('<head>', `<head><base href="/${'a'.repeat(4000)}/">`));
      },
    });
    try {
      const { done, pages, ms } = await crawl({ url: `${origin.url}/robots-links`, maxDepth: 1, maxPages: 5 });
      expect(origin.hits.get('/robots.txt')).toBe(1);
      expect(done, JSON.stringify([done.stats, pages.slice(1)])).toMatchObject({
        state: 'completed',
        stats: { fetched: 5 },
      });
      // One page's links get CRAWL_MAX_LINK_MS (1 s); the rest is fetching five pages.
      expect(ms).toBeLessThan(8000);
    } finally {
      await origin.close();
    }
  });

  it('matches a backtracking include glob on long paths at once', async () => {
    site.route('/glob-links', (_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(manyLinks(2000, 'x').replace('<head>', `<head><base href="/${'a'.repeat(4000)}/">`));
    });
    const { done, ms } = await crawl({
      url: `${site.url}/glob-links`,
      maxDepth: 1,
      include: ['**/*a*a*a*a*a*a*a*a*b'],
    });
    expect(done).toMatchObject({ state: 'completed', stats: { fetched: 1, queued: 1 } });
    expect(ms).toBeLessThan(5000);
  });

  it('refuses at submit a glob it cannot compile and a delayMs over CRAWL_MAX_DELAY_MS, naming the field', async () => {
    const post = (body: unknown) => postJson(app, '/v1/crawls', body);
    const glob = await post({ url: `${site.url}/`, exclude: ['/ok/**', '/a/[bc'] });
    expect(glob.statusCode).toBe(400);
    expect(glob.json()).toMatchObject({
      code: 'CF_ERR_VALIDATION',
      field: 'body.exclude[1]',
      message: 'body.exclude[1] is not a glob crawlfleet can match: The glob "/a/[bc" has a [ without its ]',
    });
    const delay = await post({ url: `${site.url}/`, delayMs: 600_000 });
    expect(delay.statusCode).toBe(400);
    expect(delay.json()).toMatchObject({
      field: 'body.delayMs',
      message: 'body.delayMs must be <= 60000 (CRAWL_MAX_DELAY_MS)',
    });
  });
});

describe('robots.txt amplification', () => {
  const servers: Server[] = [];
  const robotsHits: number[] = [];
  let origins: string[] = [];

  beforeAll(async () => {
    origins = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        robotsHits[i] = 0;
        const server = createServer((req, res) => {
          if (req.url === '/robots.txt') robotsHits[i]++;
          res.setHeader('content-type', 'text/html');
          res.end(html(`origin ${i}`, ''));
        });
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      }),
    );
    site.route('/200-origins', (_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(html('Origins', origins.map((origin) => `<a href="${origin}/">x</a>`).join('')));
    });
  });
  afterAll(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  const fetchedRobots = () => robotsHits.reduce((sum, hits) => sum + hits, 0);

  it('with maxPages 1, a page linking 200 origins fetches none of their robots.txt', async () => {
    const { done } = await crawl({ url: `${site.url}/200-origins`, maxDepth: 1, maxPages: 1, scope: 'any' });
    expect(done).toMatchObject({ state: 'completed', stats: { fetched: 1 } });
    expect(fetchedRobots()).toBe(0);
  });

  it("with room for all, one page opens at most 20 new origins' robots.txt (CRAWL_MAX_ROBOTS_PER_PAGE)", async () => {
    const { done } = await crawl({ url: `${site.url}/200-origins`, maxDepth: 1, maxPages: 1000, scope: 'any' });
    expect(done.state).toBe('completed');
    expect(fetchedRobots()).toBe(20);
    expect(done.stats).toMatchObject({ fetched: 21, skipped: 180 });
  });
});
