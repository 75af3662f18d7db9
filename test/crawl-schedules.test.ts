import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, postJson, startFixtureSite, type FixtureSite } from '@crawlfleet/testkit';
import { inProcessFleet } from './in-process-fleet.js';

/* Recurring crawls on BullMQ job schedulers, each run recrawling the last when incremental. */

let app: FastifyInstance;
let fleet: Awaited<ReturnType<typeof inProcessFleet>>;
let site: FixtureSite;

beforeAll(async () => {
  site = await startFixtureSite('127.0.0.1', {});
  site.route('/s', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html', etag: '"same"' }).end('<p>scheduled</p>'),
  );
  fleet = await inProcessFleet({ CRAWL_ALLOW_PRIVATE_NETWORKS: 'true' });
  app = fleet.app;
});
afterAll(async () => {
  await fleet.close();
  await site.close();
});

interface Listed {
  id: string;
  type: string;
  every: number | null;
  lastCrawlId: string | null;
  crawl: { url: string; webhook?: { secret?: string } };
}
const listed = async (id: string) =>
  ((await app.inject({ url: '/v1/schedules' })).json().schedules as Listed[]).find((s) => s.id === id);

describe('crawl schedules', () => {
  it('start a crawl each period, each recrawling the last; GET lists them, DELETE stops them', async () => {
    const reply = await postJson(app, '/v1/schedules/crawls', {
      id: 'nightly',
      every: 1000,
      incremental: true,
      crawl: {
        url: `${site.url}/s`,
        maxDepth: 0,
        sitemap: 'skip',
        webhook: { url: `${site.url}/hook`, events: ['completed'], secret: 'hush' },
      },
    });
    expect(reply.statusCode, reply.body).toBe(201);
    expect(reply.json()).toMatchObject({ id: 'nightly', type: 'crawls', every: 1000, incremental: true });
    const runs: string[] = [];
    await eventually(
      async () => {
        const last = (await listed('nightly'))?.lastCrawlId;
        if (last && !runs.includes(last)) runs.push(last);
        return runs.length >= 2;
      },
      15_000,
      'two runs',
    );
    const first = (await app.inject({ url: `/v1/crawls/${runs[0]}?wait=5000` })).json();
    const second = (await app.inject({ url: `/v1/crawls/${runs[1]}?wait=5000` })).json();
    expect(first).toMatchObject({ seed: `${site.url}/s`, state: 'completed' });
    expect(second.options.recrawlOf).toBe(runs[0]);
    expect((await listed('nightly'))?.crawl).toMatchObject({ url: `${site.url}/s`, webhook: { secret: '***' } });
    expect((await app.inject({ method: 'DELETE', url: '/v1/schedules/crawls/nightly' })).statusCode).toBe(204);
    expect(await listed('nightly')).toBeUndefined();
    expect((await app.inject({ method: 'DELETE', url: '/v1/schedules/crawls/nightly' })).statusCode).toBe(404);
  });

  it('refuses a bad crawl, naming the field under body.crawl', async () => {
    const bad = await postJson(app, '/v1/schedules/crawls', {
      id: 'bad',
      every: 1000,
      crawl: { url: `${site.url}/s`, formats: ['pdf'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toMatch(/^body\.crawl\.formats/);
    const seedless = await postJson(app, '/v1/schedules/crawls', { id: 'bad', every: 1000, crawl: { maxDepth: 1 } });
    expect(seedless.json().field).toBe('body.crawl.url');
    const recrawl = await postJson(app, '/v1/schedules/crawls', {
      id: 'bad',
      every: 1000,
      crawl: { url: `${site.url}/s`, recrawlOf: 'x' },
    });
    expect(recrawl.json().field).toBe('body.crawl.recrawlOf');
    const neither = await postJson(app, '/v1/schedules/crawls', { id: 'bad', crawl: { url: `${site.url}/s` } });
    expect(neither.json().field).toBe('body.every');
  });
});
