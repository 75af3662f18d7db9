import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startNode, startWorkerProcess, stopProcess, until } from './processes.js';
import { cpuMs, peakRssMb } from './proc.js';
import { authOf, redisEnv, type RedisEnv } from './jobs-bench.js';
import { percentile } from './stats.js';

const PAGES = 2000;
const LINKS = 20;

/** A generated site: PAGES pages of LINKS links each, all reachable from /p/0, each answered after `delayMs`. */
export async function startBenchSite(
  delayMs = 0,
  pages = PAGES,
): Promise<{ url: string; close(): Promise<void>; maxInFlight(reset?: boolean): number }> {
  const bodyOf = (i: number) => {
    const links = Array.from(
      { length: LINKS },
      (_, k) => `<li><a href="/p/${k === 0 ? (i + 1) % pages : (i * 31 + k * 97) % pages}">link ${k}</a></li>`,
    );
    const body = `<h1>Page ${i}</h1><p>${'Some text. '.repeat(40)}</p><ul>${links.join('')}</ul>`;
    return `<!doctype html><html><head><title>Page ${i}</title></head><body>${body}</body></html>`;
  };
  const bodies = pages <= PAGES ? Array.from({ length: pages }, (_, i) => bodyOf(i)) : null;
  // Requests in flight now and at most (the politeness cap seen from the site).
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    const match = /^\/p\/(\d+)$/.exec(req.url ?? '');
    const index = match ? Number(match[1]) : -1;
    const body = index >= 0 && index < pages ? (bodies ? bodies[index] : bodyOf(index)) : undefined;
    if (!body) {
      res.statusCode = 404;
      return res.end();
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (delayMs > 0) return void setTimeout(() => res.end(body), delayMs);
    return res.end(body);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    maxInFlight: (reset = false) => {
      const max = maxInFlight;
      if (reset) maxInFlight = 0;
      return max;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The upper bound: an undici fetch loop over the same pages, `at` (32) at a time, no parsing. */
export async function fetchLoop(siteUrl: string, at = 32): Promise<number> {
  const agent = new Agent({ connections: at });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: at }, async () => {
      while (next < PAGES) {
        const reply = await request(`${siteUrl}/p/${next++}`, { dispatcher: agent });
        await reply.body.arrayBuffer();
      }
    }),
  );
  const rate = PAGES / ((performance.now() - started) / 1000);
  await agent.close();
  return rate;
}

type Json = (
  path: string,
  init?: { method: string; body: string; headers?: Record<string, string> },
) => Promise<{ status: number; body: Record<string, unknown> }>;

/** Polls a crawl through `?wait` until it is completed (at most `timeoutMs`), and returns it. */
export async function crawlCompleted(json: Json, id: string, timeoutMs = 300_000): Promise<Record<string, unknown>> {
  let crawl: Record<string, unknown> = {};
  await until(async () => {
    crawl = (await json(`/v1/crawls/${id}?wait=30000`)).body;
    return crawl.state === 'completed';
  }, timeoutMs);
  return crawl;
}

/** An API and `workers` crawl worker processes on a fresh prefix, once the API sees the workers. */
export async function startCrawlers(
  redis: string | RedisEnv,
  port: number,
  workers: number,
  extraEnv: Record<string, string> = {},
) {
  const env = {
    ...redisEnv(redis),
    QUEUE_PREFIX: `bench-${randomUUID()}`,
    PORT: String(port),
    CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
    ...extraEnv,
  };
  const api = startNode('services/api/dist/server.js', [], env);
  const crawlers = Array.from({ length: workers }, () => startWorkerProcess('crawl', env));
  const base = `http://127.0.0.1:${port}`;
  const json: Json = async (path, init) => {
    const reply = await request(
      `${base}${path}`,
      init
        ? { ...init, headers: { 'content-type': 'application/json', ...authOf(env), ...init.headers } }
        : { headers: authOf(env) },
    );
    return { status: reply.statusCode, body: (await reply.body.json()) as Record<string, unknown> };
  };
  const stop = () => Promise.all([api, ...crawlers].map(stopProcess));
  try {
    await until(async () => {
      try {
        const { body } = await json('/v1/queues');
        const crawl = (body.queues as { type: string; workers: number }[] | undefined)?.find(
          (queue) => queue.type === 'crawl',
        );
        return crawl?.workers === workers;
      } catch {
        return false;
      }
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { json, crawlers, stop, env };
}

/**
 * A whole crawl of the site through the API with `workers` crawl worker
 * processes at their default concurrency: pages/s from POST to completed.
 * `options` go into the crawl's request (formats, for one), `env` to the processes.
 */
export async function crawlRate(
  redisUrl: string | RedisEnv,
  port: number,
  siteUrl: string,
  workers: number,
  options: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<{ rate: number; rssMb: number[]; cpuMsPerPage: number }> {
  const { json, crawlers, stop } = await startCrawlers(redisUrl, port, workers, env);
  try {
    const cpuBefore = crawlers.map((child) => cpuMs(child.pid!));
    const started = performance.now();
    const { status, body } = await json('/v1/crawls', {
      method: 'POST',
      body: JSON.stringify({ url: `${siteUrl}/p/0`, maxDepth: 100, maxPages: 10_000, ...options }),
    });
    if (status !== 202) throw new Error(`POST /v1/crawls answered ${status}: ${JSON.stringify(body)}`);
    const crawl = await crawlCompleted(json, String(body.id));
    const seconds = (performance.now() - started) / 1000;
    const stats = crawl.stats as { fetched: number };
    if (stats.fetched !== PAGES) throw new Error(`crawl fetched ${stats.fetched} pages, expected ${PAGES}`);
    const cpu = crawlers.reduce((sum, child, i) => sum + cpuMs(child.pid!) - cpuBefore[i], 0);
    return {
      rate: stats.fetched / seconds,
      rssMb: crawlers.map((child) => peakRssMb(child.pid!)),
      cpuMsPerPage: cpu / stats.fetched,
    };
  } finally {
    await stop();
  }
}

/** p50 and p99 of single-page crawl jobs with formats: ["markdown"], each waited for, one at a time. */
export async function markdownJobLatency(
  redisUrl: string | RedisEnv,
  port: number,
  siteUrl: string,
): Promise<{ p50: number; p99: number }> {
  const { json, stop } = await startCrawlers(redisUrl, port, 1);
  try {
    const times: number[] = [];
    for (let i = 0; i < 700; i++) {
      const started = performance.now();
      const { body } = await json('/v1/jobs/crawl?wait=5000', {
        method: 'POST',
        body: JSON.stringify({ url: `${siteUrl}/p/${i % PAGES}`, formats: ['markdown'] }),
      });
      if (typeof (body.result as { markdown?: unknown } | undefined)?.markdown !== 'string')
        throw new Error(`no markdown: ${JSON.stringify(body)}`);
      // The first 200 warm the JIT up.
      if (i >= 200) times.push(performance.now() - started);
    }
    return { p50: percentile(times, 50), p99: percentile(times, 99) };
  } finally {
    await stop();
  }
}

/**
 * Crawl jobs of real pages through the API with `formats: ["markdown"]`: the
 * committed news and readability pages (bench/news-pages, bench/content-pages)
 * served by a local server, one job at a time, `durationMs` of each result
 * (fetch, links and content: the worker's own measure). Three passes; the
 * first starts the content threads, the last is the warm figure.
 */
export async function realPageDurations(
  redisUrl: string | RedisEnv,
  port: number,
  dirs: string[],
): Promise<{ p50: number; p95: number; pages: number }[]> {
  const pages = dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => existsSync(join(dir, name, 'source.html')))
      .map((name) => readFileSync(join(dir, name, 'source.html'))),
  );
  const site = createServer((req, res) => {
    const body = pages[Number(req.url?.slice(1))];
    if (body) res.writeHead(200, { 'content-type': 'text/html' }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const { port: sitePort } = site.address() as { port: number };
  const { json, stop } = await startCrawlers(redisUrl, port, 1);
  try {
    const passes: { p50: number; p95: number; pages: number }[] = [];
    for (let pass = 0; pass < 3; pass++) {
      const times: number[] = [];
      for (let i = 0; i < pages.length; i++) {
        const { body } = await json('/v1/jobs/crawl?wait=10000', {
          method: 'POST',
          body: JSON.stringify({ url: `http://127.0.0.1:${sitePort}/${i}`, formats: ['markdown'] }),
        });
        const result = body.result as { durationMs?: number; markdown?: unknown } | undefined;
        if (typeof result?.markdown !== 'string') throw new Error(`no markdown: ${JSON.stringify(body).slice(0, 300)}`);
        times.push(result.durationMs ?? 0);
      }
      passes.push({ p50: percentile(times, 50), p95: percentile(times, 95), pages: times.length });
    }
    return passes;
  } finally {
    await stop();
    await new Promise((resolve) => site.close(resolve));
  }
}
