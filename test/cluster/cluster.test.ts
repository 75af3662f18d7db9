import { Cluster } from 'ioredis';
import { frontierBase, queueKeyPrefix } from '@crawlfleet/core';
import { buildApp, REPLICA_WAIT_MS } from '@crawlfleet/api';
import { startRedisCluster, testApi, type TestCluster } from '@crawlfleet/testkit';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterFleet, crawlEnded, startSpreadSite, type SpreadSite } from './cluster-fleet.js';
import { pageQueueNames } from '@crawlfleet/crawl';

/* crawlfleet on a real Redis Cluster of 3 masters and 3 replicas (npm run test:cluster). */

let cluster: TestCluster;
let fleet: Awaited<ReturnType<typeof clusterFleet>>;
let app: FastifyInstance;
let site: SpreadSite;
let redis: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
  // Two crawl workers, each serving the crawl queue and all 8 page shards.
  fleet = await clusterFleet(cluster, { RATE_LIMIT_MAX: '100000' }, ['sqrt', 'fibonacci', 'crawl', 'crawl']);
  app = fleet.app;
  site = await startSpreadSite(8);
  redis = new Cluster(cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port })));
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await fleet?.close();
  await site?.close();
  await cluster?.destroy();
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: body as object, headers });

/** Every key of this test's prefix, over all masters. */
async function allKeys(): Promise<string[]> {
  const keys = await Promise.all(
    redis.nodes('master').map((node) => node.keys(`${app.config.queuePrefix}*`).catch(() => [] as string[])),
  );
  const tagged = await Promise.all(
    redis.nodes('master').map((node) => node.keys(`{${app.config.queuePrefix}*`).catch(() => [] as string[])),
  );
  return [...keys.flat(), ...tagged.flat()];
}

describe('on a Redis Cluster', () => {
  it('runs sqrt, fibonacci and crawl jobs', async () => {
    const sqrt = await post('/v1/jobs/sqrt?wait=10000', { value: 81 });
    expect(sqrt.json()).toMatchObject({ state: 'completed', result: { sqrt: 9 } });
    const fib = await post('/v1/jobs/fibonacci?wait=10000', { n: 90 });
    expect(fib.json()).toMatchObject({ state: 'completed', result: { value: '2880067194370816120' } });
    const crawl = await post('/v1/jobs/crawl?wait=10000', { url: `${site.sites[0].url}/p/0` });
    expect(crawl.json()).toMatchObject({ state: 'completed', result: { status: 200 } });
    expect(crawl.json().result.links).toHaveLength(2);
    const batch = await post('/v1/jobs/sqrt/batch', [{ value: 1 }, { value: 4 }, { value: 9 }]);
    expect(batch.statusCode).toBe(202);
  });

  it('crawls pages spread over hosts with two workers: each page once, maxPages exact, on several shards', async () => {
    const before = site.fetches();
    const started = await post('/v1/crawls', {
      url: `${site.sites[0].url}/p/0`,
      scope: 'any',
      maxDepth: 50,
      maxPages: 25,
    });
    expect(started.statusCode).toBe(202);
    const crawl = await crawlEnded(app, started.json().id);
    expect(crawl.state).toBe('completed');
    const pages = (await app.inject({ url: `/v1/crawls/${started.json().id}/pages` })).body;
    expect(crawl.stats.fetched, `${JSON.stringify(crawl.stats)} ${pages}`).toBe(25);
    const fetches = [...site.fetches()].map(([url, count]) => count - (before.get(url) ?? 0));
    expect(fetches.reduce((sum, count) => sum + count, 0)).toBe(25);
    expect(Math.max(...fetches)).toBe(1);
    // The page jobs ran on at least two shards, and /v1/queues shows them.
    const queues = (await app.inject({ url: '/v1/queues' })).json().queues;
    const shards = queues.find((queue: { type: string }) => queue.type === 'crawl').shards;
    expect(shards.map((shard: { name: string }) => shard.name)).toEqual(pageQueueNames(8));
    // Completed page jobs are removed; the frontier's shards count the pages each handed out.
    const handedOut = await Promise.all(
      pageQueueNames(8).map((_, shard) => redis.get(`${frontierBase(app.config.queuePrefix, shard)}:seq`)),
    );
    expect(handedOut.filter((count) => Number(count ?? 0) > 0).length).toBeGreaterThanOrEqual(2);
    expect(shards.every((shard: { workers: number }) => shard.workers >= 2)).toBe(true);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('queue="crawl-shard-7"');
    // Bull Board shows the shards too, with their jobs.
    const board = (await app.inject({ url: '/admin/queues/api/queues' })).json();
    const boardNames = board.queues.map((queue: { name: string }) => queue.name);
    expect(boardNames).toEqual(expect.arrayContaining(['crawl', 'render', ...pageQueueNames(8)]));
  });

  it('keeps each queue in one slot, queues on several masters, each crawl in its own slot', async () => {
    const keys = await allKeys();
    expect(keys.length).toBeGreaterThan(20);
    // Every key carries a hash tag.
    expect(keys.filter((key) => !/\{[^}]+\}/.test(key))).toEqual([]);
    const names = ['sqrt', 'fibonacci', 'crawl', 'webhook', 'render', ...pageQueueNames(8)];
    const tags = names.map((name) => queueKeyPrefix(app.config.queuePrefix, name));
    for (const key of keys.filter((each) => each.startsWith('{'))) expect(tags).toContain(/^\{[^}]+\}/.exec(key)![0]);
    const masters = new Set(await Promise.all(tags.map((tag) => cluster.masterOf(tag))));
    expect(masters.size).toBeGreaterThanOrEqual(2);
    const crawlKeys = keys.filter((key) => key.includes(':crawl-run:'));
    const crawlTags = new Set(crawlKeys.map((key) => /\{[^}]+\}/.exec(key)![0]));
    expect(crawlTags.size).toBe(1);
    expect(crawlKeys.length).toBeGreaterThanOrEqual(6);
  });

  it('keeps Idempotency-Key, rate limits and schedules working', async () => {
    const headers = { 'idempotency-key': 'cluster-key-1' };
    const first = await post('/v1/jobs/sqrt', { value: 16 }, headers);
    const again = await post('/v1/jobs/sqrt', { value: 16 }, headers);
    expect(first.statusCode).toBe(202);
    expect(again.json().id).toBe(first.json().id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await post('/v1/jobs/sqrt', { value: 17 }, headers)).statusCode).toBe(409);
    expect(first.headers['x-ratelimit-limit']).toBe('100000');
    expect(Number(again.headers['x-ratelimit-remaining'])).toBeLessThan(Number(first.headers['x-ratelimit-remaining']));
    const schedule = await post('/v1/schedules/sqrt', { id: 'cluster-every', every: 1000, input: { value: 64 } });
    expect(schedule.statusCode).toBe(201);
    const completed = async () =>
      (await app.jobQueues.queue('sqrt').getJobs(['completed'], 0, 1000)).filter((job) => job.data.value === 64);
    const deadline = Date.now() + 8000;
    while ((await completed()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await completed()).length).toBeGreaterThanOrEqual(2);
    expect((await app.inject({ method: 'DELETE', url: '/v1/schedules/sqrt/cluster-every' })).statusCode).toBe(204);
  });

  it('acknowledges a job only once a replica has it with REDIS_WAIT_REPLICAS, and says so when none can', async () => {
    for (const [replicas, status] of [
      ['1', 202],
      ['2', 503],
    ] as const) {
      const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_WAIT_REPLICAS: replicas };
      const waiting = await testApi(buildApp, 'redis://127.0.0.1:1', env);
      try {
        const started = Date.now();
        const reply = await waiting.inject({ method: 'POST', url: '/v1/jobs/sqrt', payload: { value: 4 } });
        expect(reply.statusCode).toBe(status);
        // Each master has one replica: two never confirm, and the API gives up after REPLICA_WAIT_MS.
        if (status === 503) {
          expect(reply.json()).toMatchObject({ code: 'CF_ERR_NOT_REPLICATED' });
          expect(Date.now() - started).toBeLessThan(REPLICA_WAIT_MS + 1500);
        }
      } finally {
        await waiting.close();
      }
    }
  });
});
