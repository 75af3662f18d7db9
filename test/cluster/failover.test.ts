import { queueKeyPrefix } from '@crawlfleet/core';
import { eventually, startRedisCluster, type TestCluster } from '@crawlfleet/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clusterFleet, crawlEnded, startSpreadSite, type SpreadSite } from './cluster-fleet.js';

/*
 * A master of the cluster killed (SIGKILL) while jobs are submitted and a
 * crawl runs: its replica takes over and the fleet goes on without a restart.
 */

let cluster: TestCluster;
let fleet: Awaited<ReturnType<typeof clusterFleet>>;
let site: SpreadSite;

beforeAll(async () => {
  cluster = await startRedisCluster({ nodeTimeoutMs: 1000 });
  // Short locks: a job whose completion the dead master took with it is run again within seconds.
  const env = { WORKER_LOCK_DURATION_MS: '2000', CRAWL_SWEEP_INTERVAL_MS: '2000' };
  fleet = await clusterFleet(cluster, env, ['sqrt', 'crawl', 'crawl']);
  site = await startSpreadSite(8, 20);
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  await site?.close();
  await cluster?.destroy();
});

it('keeps every job accepted before and after a master dies, and the crawl running through it', async () => {
  const { app } = fleet;
  const crawl = await app.inject({
    method: 'POST',
    url: '/v1/crawls',
    payload: { url: `${site.sites[0].url}/p/0`, scope: 'any', maxDepth: 100, maxPages: 40, delayMs: 100 },
  });
  expect(crawl.statusCode).toBe(202);
  const accepted = { before: [] as string[], after: [] as string[] };
  let refused = 0;
  let killedAt = 0;
  // The longest a client waited between two acknowledged jobs: the outage as a client sees it.
  let lastAccepted = 0;
  let longestGap = 0;
  let submitting = true;
  const submitter = (async () => {
    for (let value = 0; submitting; value++) {
      const reply = await app.inject({ method: 'POST', url: '/v1/jobs/sqrt', payload: { value } });
      if (reply.statusCode === 202) {
        (killedAt === 0 ? accepted.before : accepted.after).push(reply.json().id);
        if (lastAccepted) longestGap = Math.max(longestGap, Date.now() - lastAccepted);
        lastAccepted = Date.now();
      } else {
        // Refused while the slot has no master: never acknowledged, so not lost; the client retries.
        expect(reply.statusCode).toBe(503);
        refused++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  // The master of the sqrt queue's slot: every submission after this needs its replica promoted.
  const victim = await cluster.masterOf(queueKeyPrefix(app.config.queuePrefix, 'sqrt'));
  killedAt = Date.now();
  await cluster.kill(victim);
  await cluster.failedOver(victim);
  const failedOverAt = Date.now();
  // Submissions go on for 2 s after the failover and until 30 more were accepted (a loaded machine is slower).
  const until = Date.now() + 2000;
  await eventually(() => Date.now() > until && accepted.after.length >= 30, 30_000, 'submissions after the failover');
  submitting = false;
  await submitter;
  expect(await cluster.masters()).not.toContain(victim);
  expect(accepted.before.length).toBeGreaterThan(20);
  expect(accepted.after.length).toBeGreaterThan(20);

  const all = [...accepted.before, ...accepted.after];
  const completed = new Set<string>();
  const deadline = Date.now() + 30_000;
  while (completed.size < all.length && Date.now() < deadline) {
    for (const id of all.filter((each) => !completed.has(each))) {
      const reply = await app.inject({ url: `/v1/jobs/sqrt/${id}` });
      if (reply.statusCode === 200 && reply.json().state === 'completed') completed.add(id);
    }
    if (completed.size < all.length) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const lost = all.filter((id) => !completed.has(id));
  const report = {
    acceptedBefore: accepted.before.length,
    acceptedAfter: accepted.after.length,
    refusedDuringFailover: refused,
    completed: completed.size,
    lost: lost.length,
    failoverMs: failedOverAt - killedAt,
    longestGapBetweenAcceptsMs: longestGap,
  };
  process.stdout.write(`cluster failover: ${JSON.stringify(report)}\n`);
  expect(lost).toEqual([]);

  // The crawl went on: every page it may fetch is recorded, once.
  const ended = await crawlEnded(app, crawl.json().id, 60_000);
  expect(ended.state).toBe('completed');
  expect(ended.stats.fetched).toBe(40);
  const pages = (await app.inject({ url: `/v1/crawls/${crawl.json().id}/pages?limit=100` })).json().items;
  expect(new Set(pages.map((page: { url: string }) => page.url)).size).toBe(40);
}, 120_000);
