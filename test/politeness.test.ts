import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@crawlfleet/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, freePort, postJson, startService, testConfig, type ServiceProcess } from '@crawlfleet/testkit';

/* The fleet as one polite client: per-host leases, shared pauses after 429/503, circuits. */

const CAP = 2;
const config = testConfig(inject('redisUrl'), {
  CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
  CRAWL_TIMEOUT_MS: '2000',
  JOB_ATTEMPTS: '2',
  CRAWL_HOST_CONCURRENCY: String(CAP),
  CRAWL_HOST_FAILURE_LIMIT: '3',
});
const env = {
  REDIS_URL: config.redisUrl,
  QUEUE_PREFIX: config.queuePrefix,
  CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
  CRAWL_TIMEOUT_MS: '2000',
  JOB_ATTEMPTS: '2',
  CRAWL_HOST_CONCURRENCY: String(CAP),
  CRAWL_HOST_FAILURE_LIMIT: '3',
  WORKER_LOCK_DURATION_MS: '2000',
};
let app: FastifyInstance;
const workers: ServiceProcess[] = [];

/** A site of `pages` pages (each links the next ten) that records every request's start and the number in flight. */
interface RecordingSite {
  url: string;
  requests: { path: string; at: number; inFlight: number }[];
  maxInFlight: number;
  /** Answers instead of the page while it returns a response (then the page is served). */
  override: ((req: IncomingMessage, res: ServerResponse) => boolean) | null;
  close(): Promise<void>;
}

async function recordingSite(pages: number, delayMs = 30): Promise<RecordingSite> {
  let inFlight = 0;
  const site: RecordingSite = {
    url: '',
    requests: [],
    maxInFlight: 0,
    override: null,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt' || path === '/sitemap.xml') {
      res.writeHead(404).end();
      return;
    }
    inFlight++;
    site.maxInFlight = Math.max(site.maxInFlight, inFlight);
    site.requests.push({ path, at: Date.now(), inFlight });
    res.on('close', () => inFlight--);
    if (site.override?.(req, res)) return;
    const n = Number(/^\/p\/(\d+)$/.exec(path)?.[1] ?? 0);
    const links = Array.from({ length: 10 }, (_, k) => `<a href="/p/${(n * 10 + k + 1) % pages}">x</a>`).join('');
    setTimeout(
      () =>
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body><p>page ${n}</p>${links}</body></html>`),
      delayMs,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return site;
}

function startWorker(extra: Record<string, string> = {}): ServiceProcess {
  const worker = startService('services/worker/dist/main.js', ['--queue', 'crawl'], { ...env, ...extra });
  workers.push(worker);
  return worker;
}

async function crawl(body: Record<string, unknown>, waitMs = 30_000) {
  const start = await postJson(app, '/v1/crawls', { sitemap: 'skip', respectRobots: false, ...body });
  expect(start.statusCode, start.body).toBe(202);
  const { url } = start.json<{ url: string }>();
  const done = (await app.inject({ url: `${url}?wait=${waitMs}` })).json();
  const pages = (await app.inject({ url: `${url}/pages?limit=1000` })).json().items as {
    url: string;
    error: string | null;
  }[];
  return { done, pages };
}

const metricsPorts: number[] = [];

beforeAll(async () => {
  app = await buildApp(config, { logger: false });
  for (let i = 0; i < 2; i++) {
    metricsPorts.push(await freePort());
    startWorker({ WORKER_METRICS_PORT: String(metricsPorts[i]) });
  }
  await eventually(() => app.jobQueues.ready);
  await eventually(
    async () => (await app.jobQueues.queue('crawl').getWorkersCount()) === 2,
    15_000,
    'two crawl workers',
  );
});
afterAll(async () => {
  for (const worker of workers) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((worker) => worker.exited));
  await app.close();
});

describe('per-host concurrency', () => {
  it('never has more than CRAWL_HOST_CONCURRENCY requests in flight, with two worker processes', async () => {
    const site = await recordingSite(60);
    try {
      const { done } = await crawl({ url: `${site.url}/p/0`, maxDepth: 5 });
      expect(done.state).toBe('completed');
      expect(done.stats.fetched).toBe(60);
      expect(site.maxInFlight).toBe(CAP);
      // Most leases given back after a response passed straight on to the host's next page in the same process.
      let handedOn = 0;
      for (const port of metricsPorts) {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        handedOn += Number(/^crawlfleet_crawl_pages_handed_on_total (\d+)/m.exec(text)?.[1] ?? 0);
      }
      expect(handedOn).toBeGreaterThan(20);
      expect(handedOn).toBeLessThan(60);
    } finally {
      await site.close();
    }
  });

  it('is serial with maxConcurrencyPerHost: 1, and two crawls of one host share the cap', async () => {
    const serial = await recordingSite(20);
    try {
      const { done } = await crawl({ url: `${serial.url}/p/0`, maxDepth: 5, maxConcurrencyPerHost: 1 });
      expect(done.stats.fetched).toBe(20);
      expect(serial.maxInFlight).toBe(1);
    } finally {
      await serial.close();
    }
    const shared = await recordingSite(40);
    try {
      const both = await Promise.all([
        crawl({ url: `${shared.url}/p/0`, maxDepth: 5 }),
        crawl({ url: `${shared.url}/p/1`, maxDepth: 5 }),
      ]);
      for (const { done } of both) expect(done.stats.fetched).toBe(40);
      expect(shared.maxInFlight).toBe(CAP);
    } finally {
      await shared.close();
    }
  });
});

/** A gauge of /metrics with queue="crawl". */
async function gauge(name: string): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  return Number(new RegExp(`^${name}\\{queue="crawl"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
}

describe('visibility', () => {
  it('shows pages waiting for their host in the crawl, and leases in use in /metrics', async () => {
    const site = await recordingSite(30, 100);
    try {
      const start = await postJson(app, '/v1/crawls', { url: `${site.url}/p/0`, maxDepth: 3, sitemap: 'skip' });
      const { url } = start.json<{ url: string }>();
      await eventually(
        async () => (await app.inject({ url })).json().stats.waitingForHost > 0,
        10_000,
        'pages waiting for the host',
      );
      await eventually(async () => (await gauge('crawlfleet_host_leases_in_use')) === CAP, 10_000, 'leases in use');
      expect(await gauge('crawlfleet_hosts_active')).toBeGreaterThanOrEqual(1);
      const done = (await app.inject({ url: `${url}?wait=30000` })).json();
      expect(done.state).toBe('completed');
      expect(done.stats.waitingForHost).toBe(0);
      expect(await gauge('crawlfleet_host_leases_in_use')).toBe(0);
    } finally {
      await site.close();
    }
  });
});

describe('shared backoff', () => {
  it('after a 429 with Retry-After: 2 no request starts within the window, and no attempt is lost', async () => {
    const site = await recordingSite(12);
    let refused = 0;
    let refusedAt = 0;
    site.override = (req, res) => {
      if (req.url !== '/p/5' || refused > 0) return false;
      refused++;
      refusedAt = Date.now();
      res.writeHead(429, { 'retry-after': '2' }).end();
      return true;
    };
    try {
      const crawled = crawl({ url: `${site.url}/p/0`, maxDepth: 5 });
      await eventually(async () => (await gauge('crawlfleet_hosts_paused')) >= 1, 5000, 'the host paused in /metrics');
      const { done, pages } = await crawled;
      expect(done.state).toBe('completed');
      expect(done.stats).toMatchObject({ fetched: 12, failed: 0 });
      expect(pages.every((page) => page.error === null)).toBe(true);
      // Requests in flight when the 429 came may end; none starts in the window (less 250 ms, for
      // leases taken just before the pause was set).
      const during = site.requests.filter((r) => r.at > refusedAt + 250 && r.at < refusedAt + 1950);
      expect(during).toEqual([]);
      expect(site.requests.filter((r) => r.path === '/p/5')).toHaveLength(2);
    } finally {
      await site.close();
    }
  });
});

describe('circuit', () => {
  it('fails a refusing host fast after CRAWL_HOST_FAILURE_LIMIT failures, and completes', async () => {
    const port = await freePort();
    const links = Array.from({ length: 20 }, (_, k) => `<a href="http://127.0.0.1:${port}/dead/${k}">x</a>`).join('');
    const seed = await recordingSite(1);
    seed.override = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body>${links}</body></html>`);
      return true;
    };
    try {
      const { done, pages } = await crawl({ url: `${seed.url}/`, maxDepth: 1, scope: 'any' });
      expect(done.state).toBe('completed');
      const dead = pages.filter((page) => page.url.includes('/dead/'));
      expect(dead).toHaveLength(20);
      expect(dead.every((page) => page.error !== null)).toBe(true);
      // The first three refused connections open the circuit; every page then fails at once, retries included.
      for (const page of dead) expect(page.error).toMatch(/^CF_ERR_HOST_UNAVAILABLE: 127\.0\.0\.1:\d+ failed 3 times/);
      expect(await gauge('crawlfleet_host_circuits_open')).toBeGreaterThanOrEqual(1);
    } finally {
      await seed.close();
    }
  });
});

describe('budgets', () => {
  it('stop a crawl past maxBytes or maxDurationMs (queued pages dropped), and say why', async () => {
    const site = await recordingSite(60, 40);
    try {
      // A page here is ~250 body bytes: past 1,000 the crawl claims nothing more.
      const bytes = await crawl({ url: `${site.url}/p/0`, maxDepth: 5, maxBytes: 1000 });
      expect(bytes.done).toMatchObject({ state: 'completed', stopReason: 'maxBytes' });
      expect(bytes.done.stats.fetched).toBeLessThan(60);
      const duration = await crawl({
        url: `${site.url}/p/1`,
        maxDepth: 5,
        maxDurationMs: 1000,
        maxConcurrencyPerHost: 1,
      });
      expect(duration.done).toMatchObject({ state: 'completed', stopReason: 'maxDuration' });
      // 40 ms a page, one at a time: about 25 in a second, never all 60.
      expect(duration.done.stats.fetched).toBeLessThan(40);
      expect(duration.done.stats.skipped).toBeGreaterThan(0);
      const pages = await crawl({ url: `${site.url}/p/2`, maxDepth: 5, maxPages: 5 });
      expect(pages.done).toMatchObject({ state: 'completed', stopReason: 'maxPages', stats: { fetched: 5 } });
      const all = await crawl({ url: `${site.url}/p/3`, maxDepth: 5 });
      expect(all.done).toMatchObject({ state: 'completed', stopReason: null, stats: { fetched: 60 } });
    } finally {
      await site.close();
    }
  }, 60_000);
});

describe('leases of a killed worker', () => {
  it('hold the host until they expire, then another worker proceeds', async () => {
    const site = await recordingSite(6, 10);
    // Requests hang, so the workers die holding both of the host's leases.
    const hanging: ServerResponse[] = [];
    site.override = (_req, res) => {
      hanging.push(res);
      return true;
    };
    try {
      const starts = await Promise.all(
        ['/p/0', '/p/1'].map((path) =>
          postJson(app, '/v1/crawls', { url: `${site.url}${path}`, maxDepth: 1, sitemap: 'skip' }),
        ),
      );
      await eventually(() => hanging.length >= CAP, 10_000, 'both leases in use');
      const leasedAt = site.requests[0].at;
      for (const worker of workers.splice(0)) worker.child.kill('SIGKILL');
      site.override = null;
      for (const res of hanging) res.destroy();
      const before = site.requests.length;
      // A fresh worker: the jobs stall back to the queue within seconds, the leases lapse only after
      // CRAWL_TIMEOUT_MS + 5 s (7 s here): until then no request may start.
      startWorker();
      for (const start of starts) {
        const done = (await app.inject({ url: `${start.json().url}?wait=30000` })).json();
        expect(done.state).toBe('completed');
        expect(done.stats.fetched).toBe(6);
      }
      expect(site.requests[before].at - leasedAt).toBeGreaterThanOrEqual(6500);
    } finally {
      await site.close();
    }
  }, 60_000);
});
