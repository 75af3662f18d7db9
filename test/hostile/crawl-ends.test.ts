import { buildApp } from '@crawlfleet/api';
import { crawlBase, queueKeyPrefix, type Config } from '@crawlfleet/core';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import { Queue, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, silentLogger, testConfig, postJson } from '@crawlfleet/testkit';
import { html, startHostileSite, type HostileSite } from './hostile-site.js';
import { PageQueues, pageJobId } from '@crawlfleet/crawl';

/*
 * A crawl always ends, whatever happens to its page jobs, and one crawl's
 * politeness does not hold up another crawl of the same host.
 */

const env = {
  CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
  CRAWL_TIMEOUT_MS: '2000',
  CRAWL_SWEEP_INTERVAL_MS: '1000',
  JOB_ATTEMPTS: '2',
};
let site: HostileSite;
const slowHits = new Map<string, number>();
const paced: { path: string; at: number }[] = [];
let pacedRefusedAt = 0;
let connection: Redis;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  site = await startHostileSite({
    '/slow': (req, res) => {
      const path = req.url ?? '';
      slowHits.set(path, (slowHits.get(path) ?? 0) + 1);
      const links = path === '/slow' ? [1, 2, 3, 4, 5].map((n) => `<a href="/slow?n=${n}">${n}</a>`).join('') : '';
      setTimeout(() => {
        res.setHeader('content-type', 'text/html');
        res.end(html('Slow', links));
      }, 2000);
    },
    '/pace': (req, res) => {
      const path = req.url ?? '';
      paced.push({ path, at: Date.now() });
      if (path === '/pace?n=5' && pacedRefusedAt === 0) {
        pacedRefusedAt = Date.now();
        return void res.writeHead(429, { 'retry-after': '2' }).end();
      }
      const links = path === '/pace' ? Array.from({ length: 12 }, (_, n) => `<a href="/pace?n=${n + 1}">${n}</a>`) : [];
      setTimeout(() => {
        res.setHeader('content-type', 'text/html');
        res.end(html('Pace', links.join('')));
      }, 200);
    },
    '/three': (_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(html('Three', '<a href="/t/1">1</a><a href="/t/2">2</a><a href="/t/3">3</a>'));
    },
  });
  connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  connection.disconnect();
  await site.close();
});

async function api(config: Config): Promise<FastifyInstance> {
  const app = await buildApp(config, { logger: false });
  closers.push(() => app.close());
  await eventually(() => app.jobQueues.ready);
  return app;
}

async function crawlWorker(config: Config): Promise<RunningWorker> {
  const worker = await startWorker({ config, queue: 'crawl', logger: silentLogger });
  closers.push(() => worker.close(3000));
  return worker;
}

async function start(app: FastifyInstance, body: Record<string, unknown>): Promise<{ id: string; url: string }> {
  const reply = await postJson(app, '/v1/crawls', body);
  expect(reply.statusCode, reply.body).toBe(202);
  return reply.json();
}

const read = async (app: FastifyInstance, url: string, wait = 0) =>
  (await app.inject({ url: `${url}${wait ? `?wait=${wait}` : ''}` })).json();

describe('a crawl always ends', () => {
  it('when a page job is removed behind its back (the page is handed out again and fetched)', async () => {
    const config = testConfig(inject('redisUrl'), env);
    const app = await api(config);
    const crawl = await start(app, { url: `${site.url}/three`, maxDepth: 1 });
    // No worker yet: the test hands the seed out itself, then removes its job.
    const pages = new PageQueues(connection, config);
    closers.push(() => pages.close());
    const handed = await pages.frontier.dispatch(0, 'p', 10);
    expect(handed.pages.map((page) => page.entry.url)).toEqual([`${site.url}/three`]);
    await pages.enqueue(handed.pages);
    const queue = new Queue('crawl', { connection, prefix: queueKeyPrefix(config.queuePrefix, 'crawl') });
    closers.push(() => queue.close());
    const victim = pageJobId(crawl.id, handed.pages[0].lease);
    expect(await queue.getJobState(victim)).toBe('waiting');
    expect(await queue.remove(victim)).toBe(1);
    // The sweep sees the claim's job gone and ends the claim: the frontier hands the seed out again.
    await crawlWorker(config);
    const done = await read(app, crawl.url, 20_000);
    expect(done).toMatchObject({ state: 'completed', stats: { queued: 4, fetched: 4, failed: 0 } });
  });

  it('while pages run in-process with no job of their own, slower than the sweep: each is fetched once', async () => {
    // Two leases on the host: each page's next is claimed ahead and waits for its lease, with no BullMQ job; the
    // crawl makes no progress for longer than the sweep's interval, and the sweep must leave those claims alone
    // (a claim it ended would be handed out again and fetched beside the page running here).
    const config = testConfig(inject('redisUrl'), { ...env, CRAWL_HOST_CONCURRENCY: '2', CRAWL_TIMEOUT_MS: '5000' });
    const app = await api(config);
    await crawlWorker(config);
    const crawl = await start(app, { url: `${site.url}/slow`, maxDepth: 1, sitemap: 'skip', respectRobots: false });
    const done = await read(app, crawl.url, 30_000);
    expect(done).toMatchObject({ state: 'completed', stats: { fetched: 6, failed: 0 } });
    expect([...slowHits.values()]).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('stops passing leases on in-process when the host says 429: no request starts in its Retry-After', async () => {
    // Two leases, each passing from page to page here (claimed ahead); one page gets a 429 while the other
    // lease's request is in flight: that response must not pass its lease on into the pause.
    const config = testConfig(inject('redisUrl'), { ...env, CRAWL_HOST_CONCURRENCY: '2' });
    const app = await api(config);
    await crawlWorker(config);
    const crawl = await start(app, { url: `${site.url}/pace`, maxDepth: 1, sitemap: 'skip', respectRobots: false });
    const done = await read(app, crawl.url, 20_000);
    expect(done).toMatchObject({ state: 'completed', stats: { fetched: 13, failed: 0 } });
    expect(pacedRefusedAt).toBeGreaterThan(0);
    // Requests already in flight end; none starts until the pause is over (less 50 ms either side).
    const during = paced.filter(({ at }) => at > pacedRefusedAt + 50 && at < pacedRefusedAt + 1950);
    expect(during).toEqual([]);
  });

  it("when page jobs fail outside the processor's own failure path and exhaust their attempts", async () => {
    const config = testConfig(inject('redisUrl'), env);
    const app = await api(config);
    // A broken processor takes the page jobs; a real crawl worker beside it (whose sweep runs)
    // may take the seed before it pauses, but never the children.
    const broken = new Worker(
      'crawl',
      async () => {
        throw new Error('a bug in a processor');
      },
      { connection, prefix: queueKeyPrefix(config.queuePrefix, 'crawl'), concurrency: 10 },
    );
    closers.push(() => broken.close());
    const real = await crawlWorker(config);
    await real.worker.pause(true);
    const crawl = await start(app, { url: `${site.url}/three` });
    const done = await read(app, crawl.url, 20_000);
    // Ended: failed when the broken processor took the seed too (nothing fetched), else completed.
    expect(done.state).toBe(done.stats.fetched === 0 ? 'failed' : 'completed');
    expect(done.stats.fetched + done.stats.failed).toBe(done.stats.queued);
    expect(done.stats.failed).toBeGreaterThanOrEqual(1);
    const pages = (await app.inject({ url: `${crawl.url}/pages` })).json().items as {
      status: number | null;
      error: string | null;
    }[];
    // Each failed job's claim is ended by the sweep and the page handed out again, JOB_ATTEMPTS times.
    for (const page of pages.filter((item) => item.status === null)) {
      expect(page.error).toBe('CF_ERR_PAGE_LOST: its page job ended without a record 2 times');
    }
  });

  it('page jobs are not jobs of the API: GET and DELETE of one are 404, never 5xx', async () => {
    const config = testConfig(inject('redisUrl'), env);
    const app = await api(config);
    const crawl = await start(app, { url: `${site.url}/three` });
    const id = pageJobId(crawl.id, 'p0-1');
    for (const method of ['GET', 'DELETE'] as const) {
      const reply = await app.inject({ method, url: `/v1/jobs/crawl/${id}` });
      expect(reply.statusCode).toBe(404);
      expect(reply.json().code).toBe('CF_ERR_JOB_NOT_FOUND');
    }
    const events = await app.inject({ url: `/v1/jobs/crawl/${id}/events` });
    expect(events.statusCode).toBe(404);
  });

  it('its SSE stream ends when the crawl expires while watched, and ?wait answers 404', async () => {
    const config = testConfig(inject('redisUrl'), env);
    const app = await api(config); // no worker: the crawl stays running
    const crawl = await start(app, { url: `${site.url}/three` });
    const stream = app.inject({ url: `${crawl.url}/events` });
    const waiting = app.inject({ url: `${crawl.url}?wait=20000` });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const keys = await connection.keys(`${crawlBase(config.queuePrefix, crawl.id)}:*`);
    await connection.del(...keys);
    const started = Date.now();
    const body = (await stream).body;
    expect(body).toContain('event: gone');
    expect((await waiting).statusCode).toBe(404);
    expect(Date.now() - started).toBeLessThan(5000); // not the 20 s of the ?wait
  });
});

describe('per-crawl politeness', () => {
  it('a crawl with a long delayMs does not hold up another crawl of the same host', async () => {
    const config = testConfig(inject('redisUrl'), env);
    const app = await api(config);
    await crawlWorker(config);
    const slow = await start(app, { url: `${site.url}/three`, maxDepth: 1, delayMs: 5000 });
    await eventually(async () => (await read(app, slow.url)).stats.fetched === 1, 5000, "the slow crawl's seed");
    const started = Date.now();
    const fast = await start(app, { url: `${site.url}/three?fast`, maxDepth: 1, delayMs: 0 });
    expect(await read(app, fast.url, 10_000)).toMatchObject({ state: 'completed', stats: { fetched: 4 } });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await read(app, slow.url)).toMatchObject({ state: 'running', stats: { fetched: 1 } });
    await app.inject({ method: 'DELETE', url: slow.url });
  });
});
