import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Redis } from 'ioredis';
import { buildApp } from '@crawlfleet/api';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT,
  eventually,
  silentLogger,
  startCrawlSite,
  startRedis,
  testApi,
  testConfig,
  type FixtureSite,
  type TestRedis,
} from '@crawlfleet/testkit';

/*
 * Webhooks cannot be turned against anyone: payloads are bounded and counted,
 * delivered bodies leave Redis at once, a receiver that never answers holds
 * only its own leases, signatures follow Standard Webhooks, and a sender may
 * not set credentials or webhook-* headers.
 */

const A = 'a'.repeat(20);
const B = 'b'.repeat(20);
const SECRET = `whsec_${Buffer.from('a secret of 24 bytes....').toString('base64')}`;
let redis: TestRedis;
let admin: Redis;
let app: FastifyInstance;
let workers: RunningWorker[] = [];
let site: FixtureSite;
let receiver: Server;
let base = '';
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  at: number;
}
const received: Received[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  await admin.config('SET', 'maxmemory', String(64 * 1024 * 1024));
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, raw, at: Date.now() });
      // /tarpit never answers: the delivery waits out WEBHOOK_TIMEOUT_MS.
      if (req.url !== '/tarpit') res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  site = await startCrawlSite(120);
  const env = {
    API_KEYS: `acme:${A},globex:${B}`,
    CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
    CRAWL_HOST_CONCURRENCY: '64',
    CRAWL_MAX_STORED_BYTES_PER_CRAWL: String(60 * 1024),
    WEBHOOK_MAX_BYTES: String(4 * 1024),
    WEBHOOK_TIMEOUT_MS: '20000',
    WORKER_CONCURRENCY: '16',
  };
  app = await testApi(buildApp, redis.url, env);
  const config = { ...testConfig(redis.url, env), queuePrefix: app.config.queuePrefix };
  workers = await Promise.all(
    (['crawl', 'sqrt', 'webhook'] as const).map((queue) => startWorker({ config, queue, logger: silentLogger })),
  );
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close(1000)));
  await app.close();
  await site.close();
  receiver.closeAllConnections();
  receiver.close();
  admin.disconnect();
  await redis.destroy();
});

const as = (key: string) => ({ authorization: `Bearer ${key}` });

describe('webhook payloads', () => {
  it('bounds a 100-page crawl: deliveries within the byte caps, none left in Redis once delivered', async () => {
    const started = await app.inject({
      method: 'POST',
      url: '/v1/crawls',
      headers: as(A),
      payload: {
        url: `${site.url}/p/0`,
        maxPages: 100,
        maxDepth: 100,
        respectRobots: false,
        sitemap: 'skip',
        formats: ['markdown', 'html', 'links'],
        webhook: { url: `${base}/pages`, events: ['page', 'completed'], secret: SECRET },
      },
    });
    expect(started.statusCode, started.body).toBe(202);
    const id: string = started.json().id;
    await eventually(
      () => received.some((hit) => hit.path === '/pages' && JSON.parse(hit.raw).event === 'completed'),
      60_000,
      'the crawl and its deliveries',
    );
    const pages = received.filter((hit) => hit.path === '/pages' && JSON.parse(hit.raw).event === 'page');
    expect(pages).toHaveLength(100);
    // Every body within WEBHOOK_MAX_BYTES; past the crawl's stored-bytes cap, pages come thin.
    for (const page of pages) expect(Buffer.byteLength(page.raw)).toBeLessThanOrEqual(4 * 1024);
    const thin = pages.map((page) => JSON.parse(page.raw).data).filter((data) => data.contentOmitted === true);
    expect(thin.length).toBeGreaterThan(0);
    expect(thin[0]).toMatchObject({ contentPath: `/v1/crawls/${id}/pages`, status: 200 });
    expect(thin[0].markdown).toBeUndefined();
    const total = pages.reduce((sum, page) => sum + Buffer.byteLength(page.raw), 0);
    const crawl = (await app.inject({ url: `/v1/crawls/${id}`, headers: as(A) })).json();
    // Content stored and sent share the cap; a few pages racing past it (16 slots) are the margin.
    expect(crawl.stats.storedBytes).toBeLessThanOrEqual(60 * 1024 + 16 * 4 * 1024);
    expect(total).toBeLessThan(100 * 4 * 1024);
    // Delivered jobs are gone from Redis: nothing of their bodies stays behind.
    await eventually(
      async () => (await app.jobQueues.webhooks.getJobCounts('completed')).completed === 0,
      5000,
      'gone',
    );
    const prefix = app.config.queuePrefix;
    const left = await admin.keys(`{${prefix}:webhook}:webhook:${id}-page-*`);
    expect(left).toEqual([]);
    const memory = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    expect(memory).toBeLessThan(0.9 * 64 * 1024 * 1024);
  }, 90_000);
});

describe('signatures', () => {
  it('verify with the documented method, and a replay older than 5 minutes is refused', async () => {
    const { verifyWebhook } = (await import(`${ROOT}docs/examples/verify-webhook.mjs`)) as {
      verifyWebhook: (h: IncomingHttpHeaders, body: string, secret: string, o?: { now?: number }) => boolean;
    };
    const hit = received.find((each) => each.path === '/pages')!;
    expect(hit.headers['webhook-id']).toMatch(/-page-/);
    expect(hit.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifyWebhook(hit.headers, hit.raw, SECRET)).toBe(true);
    expect(verifyWebhook(hit.headers, hit.raw.replace('"page"', '"paged"'), SECRET)).toBe(false);
    expect(verifyWebhook(hit.headers, hit.raw, `whsec_${Buffer.from('another secret').toString('base64')}`)).toBe(
      false,
    );
    const sent = Number(hit.headers['webhook-timestamp']) * 1000;
    expect(verifyWebhook(hit.headers, hit.raw, SECRET, { now: sent + 6 * 60_000 })).toBe(false);
  });

  it('refuses headers a sender may not set, naming them', async () => {
    for (const name of ['Authorization', 'cookie', 'Host', 'content-length', 'transfer-encoding', 'webhook-id']) {
      const reply = await app.inject({
        method: 'POST',
        url: '/v1/jobs/sqrt',
        headers: as(A),
        payload: { value: 1, webhook: { url: `${base}/h`, events: ['completed'], headers: { [name]: 'x' } } },
      });
      expect(reply.statusCode, name).toBe(400);
      expect(reply.json().field).toBe(`body.webhook.headers.${name}`);
    }
  });
});

describe('receivers', () => {
  it('that never answer do not delay another tenant beyond a second', async () => {
    // Tenant acme: 40 deliveries to a tarpit, more than the webhook worker's 16 slots.
    for (let n = 0; n < 40; n++)
      await app.inject({
        method: 'POST',
        url: '/v1/jobs/sqrt',
        headers: as(A),
        payload: { value: n, webhook: { url: `${base}/tarpit`, events: ['completed'] } },
      });
    await eventually(() => received.filter((hit) => hit.path === '/tarpit').length >= 4, 10_000, 'the tarpit held');
    const job = await app.inject({
      method: 'POST',
      url: '/v1/jobs/sqrt?wait=5000',
      headers: as(B),
      payload: { value: 4, webhook: { url: `http://localhost:${new URL(base).port}/other`, events: ['completed'] } },
    });
    const finished = Date.parse(job.json().finishedAt);
    await eventually(() => received.some((hit) => hit.path === '/other'), 5000, "the other tenant's delivery");
    const delivered = received.find((hit) => hit.path === '/other')!.at;
    expect(delivered - finished).toBeLessThan(1000);
    // The tarpit holds its host's leases only: WEBHOOK_HOST_CONCURRENCY (4) deliveries in flight.
    expect(received.filter((hit) => hit.path === '/tarpit').length).toBe(4);
  }, 30_000);
});

describe('given-up deliveries', () => {
  it('are listed for their tenant only and can be retried by it, never submitted', async () => {
    // A delivery whose webhook expired with its job: given up at once.
    await app.jobQueues.webhooks.add(
      'completed',
      // localhost: another receiver host than the tarpit's, whose leases are all taken.
      {
        url: `http://localhost:${new URL(base).port}/late`,
        event: 'completed',
        body: '{}',
        spec: { key: 'gone' },
        tenant: 'acme',
      },
      { jobId: 'late-delivery', attempts: 1 },
    );
    const list = async (key: string) =>
      (await app.inject({ url: '/v1/jobs/webhook?state=failed', headers: as(key) })).json().items as {
        id: string;
        error: string;
      }[];
    await eventually(async () => (await list(A)).some((item) => item.id === 'late-delivery'), 10_000, 'given up');
    expect((await list(A)).find((item) => item.id === 'late-delivery')?.error).toMatch(/expired/);
    expect((await list(B)).map((item) => item.id)).not.toContain('late-delivery');
    const retry = (key: string) =>
      app.inject({ method: 'POST', url: '/v1/jobs/webhook/late-delivery/retry', headers: as(key) });
    expect((await retry(B)).statusCode).toBe(404);
    expect((await retry(A)).statusCode).toBe(202);
    const submitted = await app.inject({ method: 'POST', url: '/v1/jobs/webhook', headers: as(A), payload: {} });
    expect(submitted.statusCode).toBe(404);
  });
});
