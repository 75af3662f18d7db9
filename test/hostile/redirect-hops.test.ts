import { Redis } from 'ioredis';
import { politeKey } from '@crawlfleet/core/runtime';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startFixtureSite, type FixtureSite } from '@crawlfleet/testkit';
import { inProcessFleet } from '../in-process-fleet.js';

/*
 * Each redirect hop answers for itself: a 429 from a redirect's target
 * pauses the target's host, never the redirector's, and the hop is checked
 * against its own host's robots.txt.
 */

let fleet: Awaited<ReturnType<typeof inProcessFleet>>;
let app: FastifyInstance;
let redirector: FixtureSite;
let victim: FixtureSite;
let redis: Redis;

beforeAll(async () => {
  victim = await startFixtureSite('127.0.0.1', {});
  victim.route('/busy', (_req, res) => res.writeHead(429, { 'retry-after': '30' }).end());
  victim.route('/robots.txt', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /private\n'),
  );
  victim.route('/private/page', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>no</p>'));
  redirector = await startFixtureSite('127.0.0.1', {});
  redirector.route('/go', (_req, res) => res.writeHead(302, { location: `${victim.url}/busy` }).end());
  redirector.route('/go-private', (_req, res) => res.writeHead(302, { location: `${victim.url}/private/page` }).end());
  redirector.route('/fine', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>fine</p>'));
  fleet = await inProcessFleet({ CRAWL_ALLOW_PRIVATE_NETWORKS: 'true' });
  app = fleet.app;
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await fleet.close();
  await redirector.close();
  await victim.close();
  redis.disconnect();
});

const hostOf = (site: FixtureSite) => new URL(site.url).host;

describe('redirect hops', () => {
  it("charge a 429 to the host that answered, not to the redirector's", async () => {
    const started = await app.inject({
      method: 'POST',
      url: '/v1/crawls',
      payload: { url: `${redirector.url}/go`, maxDepth: 0, sitemap: 'skip', respectRobots: false },
    });
    expect(started.statusCode).toBe(202);
    const pause = (site: FixtureSite) =>
      redis.pttl(politeKey(app.config.queuePrefix, hostOf(site), 'pause', app.config.crawlQueueShards));
    await eventually(async () => (await pause(victim)) > 0, 10_000, "the victim's pause");
    expect(await pause(victim)).toBeGreaterThan(20_000);
    expect(await pause(redirector)).toBeLessThan(0);
    // The redirector's other pages go on at once.
    const fine = await app.inject({
      method: 'POST',
      url: '/v1/jobs/crawl?wait=5000',
      payload: { url: `${redirector.url}/fine` },
    });
    expect(fine.json().state).toBe('completed');
    await app.inject({ method: 'DELETE', url: `/v1/crawls/${started.json().id}` });
  });

  it("are checked against their own host's robots.txt", async () => {
    const started = await app.inject({
      method: 'POST',
      url: '/v1/crawls',
      payload: { url: `${redirector.url}/go-private`, maxDepth: 0, sitemap: 'skip' },
    });
    const done = (await app.inject({ url: `/v1/crawls/${started.json().id}?wait=10000` })).json();
    expect(done.state).not.toBe('running');
    const [page] = (await app.inject({ url: `/v1/crawls/${started.json().id}/pages` })).json().items;
    expect(page.error).toMatch(/^CF_ERR_ROBOTS_DISALLOWED/);
    expect(victim.hits.get('/private/page') ?? 0).toBe(0);
  });
});
