import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureSite, type FixtureSite } from '@crawlfleet/testkit';
import { inProcessFleet } from '../in-process-fleet.js';

/*
 * Sitemap files are held to the crawl's scope and their own host's
 * robots.txt: a host another host's robots.txt or sitemap index names, and
 * whose robots.txt says Disallow: /, gets no request for them.
 */

let fleet: Awaited<ReturnType<typeof inProcessFleet>>;
let app: FastifyInstance;
let seed: FixtureSite;
let victim: FixtureSite;

const xml = (body: string) => (_req: unknown, res: ServerResponse) =>
  res.writeHead(200, { 'content-type': 'application/xml' }).end(`<?xml version="1.0"?>${body}`);

beforeAll(async () => {
  victim = await startFixtureSite('127.0.0.1', {});
  victim.route('/robots.txt', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /\n'),
  );
  victim.route('/sitemap.xml', xml('<urlset><url><loc>http://example.invalid/</loc></url></urlset>'));
  seed = await startFixtureSite('127.0.0.1', {});
  seed.route('/robots.txt', (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/plain' })
      .end(`User-agent: *\nAllow: /\nSitemap: ${seed.url}/index.xml\nSitemap: ${victim.url}/sitemap.xml\n`),
  );
  seed.route(
    '/index.xml',
    xml(
      `<sitemapindex><sitemap><loc>${victim.url}/sitemap.xml</loc></sitemap><sitemap><loc>${seed.url}/own.xml</loc></sitemap></sitemapindex>`,
    ),
  );
  seed.route('/own.xml', xml(`<urlset><url><loc>${seed.url}/listed</loc></url></urlset>`));
  seed.route('/', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>home</p>'));
  seed.route('/listed', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>listed</p>'));
  fleet = await inProcessFleet({ CRAWL_ALLOW_PRIVATE_NETWORKS: 'true' });
  app = fleet.app;
});
afterAll(async () => {
  await fleet.close();
  await seed.close();
  await victim.close();
});

describe('sitemap files', () => {
  for (const scope of ['host', 'any'] as const)
    it(`are not fetched from a host out of scope or refused by its robots.txt (scope ${scope})`, async () => {
      const before = victim.hits.get('/sitemap.xml') ?? 0;
      const started = await app.inject({ method: 'POST', url: '/v1/crawls', payload: { url: `${seed.url}/`, scope } });
      const done = (await app.inject({ url: `/v1/crawls/${started.json().id}?wait=15000` })).json();
      expect(done.state).toBe('completed');
      expect(done.stats.fromSitemaps).toBe(1);
      expect(done.stats.skipped).toBeGreaterThanOrEqual(1);
      expect((victim.hits.get('/sitemap.xml') ?? 0) - before).toBe(0);
      // Out of scope, the victim is not even asked for its robots.txt.
      if (scope === 'host') expect(victim.hits.get('/robots.txt') ?? 0).toBe(0);
    });
});
