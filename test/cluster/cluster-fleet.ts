import { type WorkerKind } from '@crawlfleet/tasks/kinds';
import { buildApp } from '@crawlfleet/api';
import {
  eventually,
  silentLogger,
  startFixtureSite,
  testApi,
  testConfig,
  type FixtureSite,
  type TestCluster,
} from '@crawlfleet/testkit';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import type { FastifyInstance } from 'fastify';
import { shardOf } from '@crawlfleet/crawl';

/* Helpers of the Redis Cluster tests: the fleet on a cluster, and a crawl site spread over hosts. */

/** The API and workers of `queues` in this process, on `cluster`, with `env`. */
export async function clusterFleet(
  cluster: TestCluster,
  env: Record<string, string>,
  queues: WorkerKind[],
): Promise<{ app: FastifyInstance; workers: RunningWorker[]; close(): Promise<void> }> {
  // REDIS_URL points nowhere: with REDIS_CLUSTER_NODES set it must not be used.
  const all = { REDIS_CLUSTER_NODES: cluster.nodesEnv, CRAWL_ALLOW_PRIVATE_NETWORKS: 'true', ...env };
  const app = await testApi(buildApp, 'redis://127.0.0.1:1', all);
  const config = { ...testConfig('redis://127.0.0.1:1', all), queuePrefix: app.config.queuePrefix };
  const workers = await Promise.all(queues.map((queue) => startWorker({ config, queue, logger: silentLogger })));
  return {
    app,
    workers,
    async close() {
      await Promise.all(workers.map((worker) => worker.close(3000)));
      await app.close();
    },
  };
}

/** Pages /p/0 … /p/<pages-1> on each site; /p/i links /p/i+1 on its site and /p/i on the next site. */
export interface SpreadSite {
  sites: FixtureSite[];
  /** Fetches of each page by URL, over all sites (robots.txt apart). */
  fetches(): Map<string, number>;
  close(): Promise<void>;
}

/**
 * Starts sites (each its own host: port) until they fall on at least two of
 * `shards` page shards, so one crawl's pages must spread over shards.
 */
export async function startSpreadSite(shards: number, pages = 10, hosts = 3): Promise<SpreadSite> {
  const sites: FixtureSite[] = [];
  const html = (body: string) => `<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`;
  while (sites.length < hosts || new Set(sites.map((site) => shardOf(site.url, shards))).size < 2) {
    if (sites.length > 20) throw new Error('20 sites on one shard');
    sites.push(await startFixtureSite());
  }
  sites.forEach((site, index) => {
    const next = sites[(index + 1) % sites.length];
    for (let i = 0; i < pages; i++) {
      site.route(`/p/${i}`, (_req, res) => {
        res.setHeader('content-type', 'text/html');
        // Text of its own: a page with the text of another is a duplicate and claims no links.
        const links = `<a href="/p/${(i + 1) % pages}">next</a> <a href="${next.url}/p/${i}">across</a>`;
        res.end(html(`<p>page ${i} of ${site.url}</p>${links}`));
      });
    }
  });
  return {
    sites,
    fetches: () =>
      new Map(
        sites.flatMap((site) =>
          [...site.hits].filter(([path]) => path.startsWith('/p/')).map(([path, count]) => [site.url + path, count]),
        ),
      ),
    close: async () => {
      await Promise.all(sites.map((site) => site.close()));
    },
  };
}

/** Waits for a crawl to end and returns it. */
export async function crawlEnded(app: FastifyInstance, id: string, timeoutMs = 30_000) {
  let crawl: { state: string; stats: Record<string, number> } = { state: 'running', stats: {} };
  await eventually(
    async () => {
      crawl = (await app.inject({ url: `/v1/crawls/${id}` })).json();
      return crawl.state !== 'running';
    },
    timeoutMs,
    `crawl ${id} to end`,
  );
  return crawl;
}
