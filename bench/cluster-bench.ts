import { freePort, startRedisCluster, type TestCluster, type TestRedis } from '@crawlfleet/testkit';
import { crawlCompleted, startCrawlers } from './crawl-bench.js';
import { JOBS, batchThroughput, startCrawlfleet, type RedisEnv } from './jobs-bench.js';
import { cpuMs } from './proc.js';
import { percentile } from './stats.js';

/*
 * One Redis against a local Redis Cluster of 3 masters (and a replica each),
 * in the same run: sqrt jobs/s, crawl pages/s, and the CPU each Redis process
 * spent, from which bench/README.md projects the cluster to more machines.
 */

/** Where the fleet's data lives, and the processes that hold it. */
export interface Backend {
  name: string;
  env: RedisEnv;
  /** The pids of the Redis processes holding data (the masters), and of the replicas. */
  pids(): Promise<{ masters: number[]; replicas: number[] }>;
}

export function singleBackend(redis: TestRedis): Backend {
  return {
    name: 'one Redis',
    env: { REDIS_URL: redis.url },
    pids: async () => ({ masters: [redis.pid!], replicas: [] }),
  };
}

export async function clusterBackend(): Promise<{ backend: Backend; cluster: TestCluster }> {
  const cluster = await startRedisCluster();
  const backend: Backend = {
    name: '3-master cluster',
    env: { REDIS_CLUSTER_NODES: cluster.nodesEnv },
    async pids() {
      const masters = new Set(await cluster.masters());
      const pid = (port: number) => cluster.nodes.find((node) => node.port === port)!.process.pid!;
      const all = cluster.nodes.map((node) => node.port);
      return { masters: [...masters].map(pid), replicas: all.filter((port) => !masters.has(port)).map(pid) };
    },
  };
  return { backend, cluster };
}

/** CPU ms each process spends while `work` runs. */
async function cpuOf<T>(pids: number[], work: () => Promise<T>): Promise<{ value: T; cpu: number[] }> {
  const before = pids.map(cpuMs);
  const value = await work();
  return { value, cpu: pids.map((pid, i) => cpuMs(pid) - before[i]) };
}

/** Redis CPU of a run: the masters' (each, busiest first) and the replicas' (summed), in ms per `unit` items. */
export interface RedisCpu {
  masters: number[];
  replicas: number;
}

function perUnit(cpu: number[], items: number, unit: number): number[] {
  return cpu.map((ms) => (ms / items) * unit).sort((a, b) => b - a);
}

/** sqrt jobs through POST /v1/jobs/sqrt/batch: jobs/s and the Redis CPU per 1,000 jobs. */
export async function sqrtOn(backend: Backend): Promise<{ rate: number; redis: RedisCpu }> {
  const fleet = await startCrawlfleet(backend.env, await freePort());
  try {
    await batchThroughput(fleet);
    const { masters, replicas } = await backend.pids();
    const measured = await cpuOf([...masters, ...replicas], () => batchThroughput(fleet));
    return {
      rate: measured.value,
      redis: {
        masters: perUnit(measured.cpu.slice(0, masters.length), JOBS, 1000),
        replicas: sum(measured.cpu.slice(masters.length)) / (JOBS / 1000),
      },
    };
  } finally {
    await fleet.stop();
  }
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/**
 * One crawl of `pages` pages on each site (each its own host, so on a
 * cluster the frontier spreads over the shards), with two crawl workers:
 * pages/s, Redis CPU per 1,000 pages, crawl worker CPU per page.
 */
export async function crawlOn(
  backend: Backend,
  sites: string[],
  pages: number,
): Promise<{ rate: number; redis: RedisCpu; workerCpuMsPerPage: number }> {
  const env = { CRAWL_HOST_CONCURRENCY: '10000' };
  const { json, crawlers, stop } = await startCrawlers(backend.env, await freePort(), 2, env);
  try {
    const { masters, replicas } = await backend.pids();
    const pids = [...masters, ...replicas, ...crawlers.map((child) => child.pid!)];
    const started = performance.now();
    const measured = await cpuOf(pids, async () => {
      const ids = await Promise.all(
        sites.map(async (site) => {
          const body = JSON.stringify({ url: `${site}/p/0`, maxDepth: 100, maxPages: pages });
          const reply = await json('/v1/crawls', { method: 'POST', body });
          if (reply.status !== 202) throw new Error(`POST /v1/crawls: ${reply.status} ${JSON.stringify(reply.body)}`);
          return String(reply.body.id);
        }),
      );
      for (const id of ids) {
        await crawlCompleted(json, id);
      }
    });
    const total = sites.length * pages;
    const rate = total / ((performance.now() - started) / 1000);
    const redisCpu = measured.cpu.slice(0, masters.length + replicas.length);
    return {
      rate,
      redis: {
        masters: perUnit(redisCpu.slice(0, masters.length), total, 1000),
        replicas: sum(redisCpu.slice(masters.length)) / (total / 1000),
      },
      workerCpuMsPerPage: sum(measured.cpu.slice(masters.length + replicas.length)) / total,
    };
  } finally {
    await stop();
  }
}

/** p50 / p99 of sequential single POST /v1/jobs/sqrt with REDIS_WAIT_REPLICAS = `replicas`. */
export async function submitLatency(backend: Backend, replicas: number): Promise<{ p50: number; p99: number }> {
  const fleet = await startCrawlfleet(backend.env, await freePort(), { REDIS_WAIT_REPLICAS: String(replicas) });
  try {
    const times: number[] = [];
    for (let i = 0; i < 1500; i++) {
      const started = performance.now();
      await fleet.post('/v1/jobs/sqrt', { value: i });
      if (i >= 500) times.push(performance.now() - started);
    }
    return { p50: percentile(times, 50), p99: percentile(times, 99) };
  } finally {
    await fleet.stop();
  }
}
