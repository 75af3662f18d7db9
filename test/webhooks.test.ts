import { createHmac } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { buildApp } from '@crawlfleet/api';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  eventually,
  postJson,
  silentLogger,
  startFixtureSite,
  testApi,
  testConfig,
  type FixtureSite,
} from '@crawlfleet/testkit';

/* Webhooks: deliveries through the webhook queue, signed, retried with the same id, in order. */

interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  body: { event: string; id: string; type: string; data: Record<string, unknown>; timestamp: string };
  status: number;
}

let app: FastifyInstance;
let workers: RunningWorker[];
let site: FixtureSite;
let receiver: Server;
let hookUrl: string;
const deliveries: Delivery[] = [];
/** Delivery ids to answer 500 once. */
const failOnce = new Set<string>();
let failNextPage = true;
let hung = false;
const hangs: string[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    // The first request to /hang gets no answer: the delivery times out and is tried again.
    if (req.url === '/hang' && !hung) {
      hung = true;
      hangs.push(String(req.headers['x-crawlfleet-delivery']));
      return;
    }
    if (req.url === '/hang') hangs.push(String(req.headers['x-crawlfleet-delivery']));
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as Delivery['body'];
      const id = String(req.headers['x-crawlfleet-delivery']);
      let status = 200;
      if (body.event === 'page' && failNextPage) {
        failNextPage = false;
        failOnce.add(id);
        status = 500;
      }
      deliveries.push({ headers: req.headers, raw, body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  hookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks`;
  site = await startFixtureSite('127.0.0.1', {});
  const page = (links: string) => (_req: unknown, res: ServerResponse) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body>${links}</body></html>`);
  site.route('/w', page('<a href="/w1">1</a><a href="/w2">2</a>'));
  site.route('/w1', page('<p>one</p>'));
  site.route('/w2', page('<p>two</p>'));
  const env = { CRAWL_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_TIMEOUT_MS: '500' };
  app = await testApi(buildApp, inject('redisUrl'), env);
  const config = { ...testConfig(inject('redisUrl'), env), queuePrefix: app.config.queuePrefix };
  workers = await Promise.all(
    (['crawl', 'sqrt', 'webhook'] as const).map((queue) => startWorker({ config, queue, logger: silentLogger })),
  );
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close(3000)));
  await app.close();
  await site.close();
  receiver.closeAllConnections();
  receiver.close();
});

const of = (id: string) => deliveries.filter((delivery) => delivery.body.id === id);

describe('crawl webhooks', () => {
  it('posts every page then completed, signed; a failed delivery is retried with the same id', async () => {
    const start = await postJson(app, '/v1/crawls', {
      url: `${site.url}/w`,
      maxDepth: 1,
      sitemap: 'skip',
      webhook: { url: hookUrl, events: ['page', 'completed'], secret: 's3cret', headers: { 'x-team': 'crawlers' } },
    });
    expect(start.statusCode).toBe(202);
    const { id } = start.json<{ id: string }>();
    await eventually(() => of(id).some((delivery) => delivery.body.event === 'completed'), 20_000, 'completed');

    const received = of(id);
    const pages = received.filter((delivery) => delivery.body.event === 'page');
    // Three pages; one delivery answered 500 and came again.
    expect(new Set(pages.map((delivery) => delivery.body.data.url))).toEqual(
      new Set([`${site.url}/w`, `${site.url}/w1`, `${site.url}/w2`]),
    );
    expect(pages).toHaveLength(4);
    const [failed] = failOnce;
    const tries = pages.filter((delivery) => delivery.headers['x-crawlfleet-delivery'] === failed);
    expect(tries.map((delivery) => delivery.status)).toEqual([500, 200]);
    expect(tries[1].raw).toBe(tries[0].raw);
    expect(new Set(pages.map((delivery) => delivery.headers['x-crawlfleet-delivery'])).size).toBe(3);
    // completed comes after every page was delivered, the retried one included.
    expect(received.at(-1)?.body.event).toBe('completed');
    expect(received.filter((delivery) => delivery.body.event === 'completed')).toHaveLength(1);

    for (const delivery of received) {
      const signature = createHmac('sha256', 's3cret').update(delivery.raw).digest('hex');
      expect(delivery.headers['x-crawlfleet-signature']).toBe(`sha256=${signature}`);
      expect(delivery.headers['x-crawlfleet-event']).toBe(delivery.body.event);
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers['x-team']).toBe('crawlers');
      expect(delivery.body).toMatchObject({ id, type: 'crawl', timestamp: expect.any(String) });
    }
    const end = received.at(-1)!.body.data;
    expect(end).toMatchObject({ id, state: 'completed', stats: { fetched: 3 } });
    // The webhook (and its secret) is not part of the crawl's options.
    expect(JSON.stringify((await app.inject({ url: `/v1/crawls/${id}` })).json())).not.toContain('s3cret');
  });

  it('posts cancelled when a crawl is deleted', async () => {
    site.route('/slow', () => {});
    const start = await postJson(app, '/v1/crawls', {
      url: `${site.url}/slow`,
      sitemap: 'skip',
      webhook: { url: hookUrl, events: ['cancelled'] },
    });
    const { id } = start.json<{ id: string }>();
    expect((await app.inject({ method: 'DELETE', url: `/v1/crawls/${id}` })).statusCode).toBe(200);
    await eventually(() => of(id).length > 0, 10_000, 'cancelled');
    expect(of(id).map((delivery) => delivery.body.event)).toEqual(['cancelled']);
    expect(of(id)[0].headers['x-crawlfleet-signature']).toBeUndefined();
  });
});

describe('job webhooks', () => {
  it('posts completed with the job view; the webhook is not part of the input', async () => {
    const reply = await postJson(app, '/v1/jobs/sqrt', {
      value: 16,
      webhook: { url: hookUrl, events: ['completed', 'failed'] },
    });
    expect(reply.statusCode).toBe(202);
    const { id } = reply.json<{ id: string }>();
    await eventually(() => of(id).length > 0, 10_000, 'job completed');
    const [delivery] = of(id);
    expect(delivery.body).toMatchObject({
      event: 'completed',
      type: 'sqrt',
      data: { id, state: 'completed', input: { value: 16 }, result: { value: 16, sqrt: 4 } },
    });
    expect((await app.inject({ url: `/v1/jobs/sqrt/${id}` })).json().input).toEqual({ value: 16 });
  });

  it('posts failed once, when no attempt is left', async () => {
    const closed = `http://127.0.0.1:${site.port}`.replace(String(site.port), '9');
    const reply = await postJson(app, '/v1/jobs/crawl?attempts=2', {
      url: `${closed}/nothing`,
      webhook: { url: hookUrl, events: ['failed'] },
    });
    const { id } = reply.json<{ id: string }>();
    await eventually(() => of(id).length > 0, 15_000, 'job failed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(of(id).map((delivery) => delivery.body.event)).toEqual(['failed']);
    expect(of(id)[0].body.data).toMatchObject({ state: 'failed', attempts: 2 });
  });

  it('tries a delivery again when the receiver does not answer within WEBHOOK_TIMEOUT_MS', async () => {
    const reply = await postJson(app, '/v1/jobs/sqrt', {
      value: 9,
      webhook: { url: hookUrl.replace('/hooks', '/hang'), events: ['completed'] },
    });
    const { id } = reply.json<{ id: string }>();
    await eventually(() => of(id).length > 0, 10_000, 'delivered after a timeout');
    expect(hangs).toEqual([`sqrt-${id}-completed`, `sqrt-${id}-completed`]);
    expect(of(id)[0].body.data).toMatchObject({ result: { sqrt: 3 } });
  });
});

describe('webhook URLs', () => {
  it('refuses at submit a URL the address policy refuses, naming the field', async () => {
    const strict = await testApi(buildApp, inject('redisUrl'));
    try {
      for (const [path, body] of [
        ['/v1/crawls', { url: 'https://example.org/' }],
        ['/v1/jobs/sqrt', { value: 1 }],
      ] as const) {
        for (const url of ['http://127.0.0.1:9/hook', 'http://[::1]/hook', 'http://10.1.2.3/hook']) {
          const reply = await postJson(strict, path, { ...body, webhook: { url, events: ['completed'] } });
          expect(reply.statusCode, `${path} ${url}`).toBe(400);
          expect(reply.json().field).toBe('body.webhook.url');
        }
      }
      const reserved = await postJson(strict, '/v1/jobs/sqrt', {
        value: 1,
        webhook: { url: 'https://hooks.example/', events: ['completed'], headers: { 'X-Crawlfleet-Event': 'x' } },
      });
      expect(reserved.json().field).toBe('body.webhook.headers.X-Crawlfleet-Event');
      const unknown = await postJson(strict, '/v1/jobs/sqrt', {
        value: 1,
        webhook: { url: 'https://hooks.example/', events: ['page'] },
      });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().field).toMatch(/^body\.webhook\.events/);
    } finally {
      await strict.close();
    }
  });
});
