import { randomUUID } from 'node:crypto';
import { createRedis, loadConfig, queueKeyPrefix } from '@crawlfleet/core';
import { Queue } from 'bullmq';
import { Agent, request } from 'undici';
import { startNode, startWorkerProcess, stopProcess, until } from './processes.js';
import { cpuMs } from './proc.js';
import { LATENCY_WARM_UP, percentile } from './stats.js';

/** Jobs of one throughput run. */
export const JOBS = 5000;
const BATCH = 1000;

/** Where the processes find Redis: REDIS_URL, or REDIS_CLUSTER_NODES for a cluster. */
export type RedisEnv = Record<string, string>;

/** The environment of a Redis given by URL or already as variables. */
export function redisEnv(redis: string | RedisEnv): RedisEnv {
  return typeof redis === 'string' ? { REDIS_URL: redis } : redis;
}

/** Counts completed jobs of one queue under a (BullMQ) prefix. */
function completedCounter(redis: RedisEnv, prefix: string, name = 'sqrt') {
  const connection = createRedis(loadConfig({}, redis), 'blocking');
  const queue = new Queue(name, { connection, prefix });
  return {
    queue,
    completed: () => queue.getCompletedCount(),
    workers: () => queue.getWorkersCount(),
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}

/** Plain BullMQ: addBulk in chunks of 1000 + a Worker (concurrency 50) in another process. */
export async function plainBullmq(redisUrl: string): Promise<number> {
  const prefix = `bench-${randomUUID()}`;
  const counter = completedCounter({ REDIS_URL: redisUrl }, prefix);
  const worker = startNode('bench/dist/plain-worker.js', [redisUrl, prefix, '50'], {});
  try {
    await until(async () => (await counter.workers()) > 0);
    const started = performance.now();
    for (let i = 0; i < JOBS; i += BATCH) {
      await counter.queue.addBulk(Array.from({ length: BATCH }, (_, j) => ({ name: 'sqrt', data: { value: i + j } })));
    }
    await until(async () => (await counter.completed()) >= JOBS, 60_000);
    return JOBS / ((performance.now() - started) / 1000);
  } finally {
    await stopProcess(worker);
    await counter.close();
  }
}

/** API keys for the keys-on figures: one tenant key, as a shared fleet runs. */
export const BENCH_KEYS = { API_KEYS: 'bench:bench-key-0123456789abcdef' };

/** The Authorization header for the first of `env`'s API_KEYS (its key part), or none. */
export function authOf(env: Record<string, string | undefined>): Record<string, string> {
  // An admin key when there is one (it reads every tenant's crawls), else the first API key.
  const entry = (env.ADMIN_KEYS ?? env.API_KEYS)?.split(',')[0];
  if (!entry) return {};
  const colon = entry.indexOf(':');
  const key = colon > 0 && /^[a-z0-9-]{1,32}$/.test(entry.slice(0, colon)) ? entry.slice(colon + 1) : entry;
  return { authorization: `Bearer ${key}` };
}

/** The API, a sqrt and a fibonacci worker, each a process, as `npm start` runs them. */
export async function startCrawlfleet(redis: string | RedisEnv, port: number, extraEnv: RedisEnv = {}) {
  const prefix = `bench-${randomUUID()}`;
  const env = { ...redisEnv(redis), QUEUE_PREFIX: prefix, PORT: String(port), ...extraEnv };
  const api = startNode('services/api/dist/server.js', [], env);
  const worker = startWorkerProcess('sqrt', env);
  const fibWorker = startWorkerProcess('fibonacci', env);
  const counter = completedCounter(redisEnv(redis), queueKeyPrefix(prefix, 'sqrt'));
  const fibCounter = completedCounter(redisEnv(redis), queueKeyPrefix(prefix, 'fibonacci'), 'fibonacci');
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  const base = `http://127.0.0.1:${port}`;
  await until(async () => {
    try {
      const reply = await request(`${base}/readyz`, { dispatcher: agent });
      await reply.body.dump();
      return reply.statusCode === 200 && (await counter.workers()) > 0 && (await fibCounter.workers()) > 0;
    } catch {
      return false;
    }
  });
  const post = async (path: string, body: unknown) => {
    const reply = await request(`${base}${path}`, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authOf(env) },
      body: JSON.stringify(body),
    });
    const json = (await reply.body.json()) as Record<string, unknown>;
    if (reply.statusCode >= 300 && reply.statusCode !== 202)
      throw new Error(`POST ${path}: ${reply.statusCode} ${JSON.stringify(json)}`);
    return { status: reply.statusCode, json };
  };
  return {
    pids: { api: api.pid!, sqrt: worker.pid!, fibonacci: fibWorker.pid! },
    counter,
    fibCounter,
    post,
    /** An HTTP round trip that touches no Redis, in ms. */
    async ping(): Promise<number> {
      const started = performance.now();
      const reply = await request(`${base}/healthz`, { dispatcher: agent });
      await reply.body.dump();
      return performance.now() - started;
    },
    async stop() {
      await Promise.all([stopProcess(api), stopProcess(worker), stopProcess(fibWorker)]);
      await counter.close();
      await fibCounter.close();
      await agent.close();
    },
  };
}

type Crawlfleet = Awaited<ReturnType<typeof startCrawlfleet>>;

/** 5000 jobs through POST /v1/jobs/sqrt/batch until all are completed: jobs/s. */
export async function batchThroughput(fleet: Crawlfleet): Promise<number> {
  const before = await fleet.counter.completed();
  const started = performance.now();
  for (let i = 0; i < JOBS; i += BATCH) {
    await fleet.post(
      '/v1/jobs/sqrt/batch',
      Array.from({ length: BATCH }, (_, j) => ({ value: i + j })),
    );
  }
  await until(async () => (await fleet.counter.completed()) - before >= JOBS, 60_000);
  return JOBS / ((performance.now() - started) / 1000);
}

/** 5000 single POST /v1/jobs/sqrt from `clients` concurrent clients, until all are completed: jobs/s. */
export async function singlePosts(fleet: Crawlfleet, clients = 32): Promise<number> {
  const before = await fleet.counter.completed();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < JOBS) await fleet.post('/v1/jobs/sqrt', { value: next++ });
    }),
  );
  await until(async () => (await fleet.counter.completed()) - before >= JOBS, 60_000);
  return JOBS / ((performance.now() - started) / 1000);
}

/**
 * fib(1,000,000) end to end through `?wait`, in ms; meanwhile, sequential
 * fib(10) jobs on the same worker show whether the big one holds them up:
 * the slowest round trip of those that overlapped it, in ms, and how many did.
 * The small jobs start first, so they overlap however fast the big one is.
 */
export async function fibBig(fleet: Crawlfleet): Promise<{ ms: number; smallMaxMs: number; small: number }> {
  let running = true;
  const small: { started: number; ended: number }[] = [];
  const meanwhile = (async () => {
    while (running) {
      const started = performance.now();
      await fleet.post('/v1/jobs/fibonacci?wait=5000', { n: 10 });
      small.push({ started, ended: performance.now() });
    }
  })();
  await until(() => small.length >= 5);
  const started = performance.now();
  const { status, json } = await fleet.post('/v1/jobs/fibonacci?wait=30000', { n: 1_000_000 });
  const ended = performance.now();
  running = false;
  await meanwhile;
  if (status !== 200 || (json.result as { digits: number }).digits !== 208_988)
    throw new Error(`fib(1e6) answered ${status}`);
  const overlapped = small.filter((s) => s.started < ended && s.ended > started);
  if (overlapped.length === 0) throw new Error('no fib(10) job ran beside fib(1e6)');
  return {
    ms: ended - started,
    smallMaxMs: Math.max(...overlapped.map((s) => s.ended - s.started)),
    small: overlapped.length,
  };
}

/** 2000 fibonacci jobs of n = 1000 through the batch route, until all are completed: jobs/s. */
export async function fibBatch(fleet: Crawlfleet, count = 2000): Promise<number> {
  const before = await fleet.fibCounter.completed();
  const started = performance.now();
  for (let i = 0; i < count; i += BATCH) {
    await fleet.post(
      '/v1/jobs/fibonacci/batch',
      Array.from({ length: Math.min(BATCH, count - i) }, () => ({ n: 1000 })),
    );
  }
  await until(async () => (await fleet.fibCounter.completed()) - before >= count, 60_000);
  return count / ((performance.now() - started) / 1000);
}

/** p50 of 200 sequential GET /healthz: what the HTTP hop alone costs, in ms. */
export async function httpFloor(fleet: Crawlfleet, count = 200): Promise<number> {
  for (let i = 0; i < LATENCY_WARM_UP; i++) await fleet.ping();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await fleet.ping());
  return percentile(samples, 50);
}

/**
 * 200 sequential POST /v1/jobs/sqrt?wait=5000 after the warm-up: latencies in
 * ms, and the CPU time the API, the sqrt worker and this client spent per
 * request meanwhile (the chain runs on shared cores, so its CPU sets the pace).
 */
export async function waitLatency(fleet: Crawlfleet, count = 200) {
  for (let i = 0; i < LATENCY_WARM_UP; i++) await fleet.post('/v1/jobs/sqrt?wait=5000', { value: i });
  const pids = [fleet.pids.api, fleet.pids.sqrt, process.pid];
  const cpuBefore = pids.map(cpuMs);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const { status } = await fleet.post('/v1/jobs/sqrt?wait=5000', { value: i });
    samples.push(performance.now() - started);
    if (status !== 200) throw new Error(`wait answered ${status}`);
  }
  const [api, worker, client] = pids.map((pid, i) => (cpuMs(pid) - cpuBefore[i]) / count);
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    cpuMs: { api: api, worker: worker, client: client },
  };
}
