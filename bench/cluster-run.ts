import type { TestRedis } from '@crawlfleet/testkit';
import { clusterBackend, crawlOn, singleBackend, sqrtOn, submitLatency, type RedisCpu } from './cluster-bench.js';
import { startBenchSite } from './crawl-bench.js';
import { fmt, median } from './stats.js';

/** Hosts (bench sites) crawled at once, and pages of each. */
const HOSTS = 8;
const PAGES_PER_HOST = 250;

type Line = (label: string, value: string, note?: string) => void;
type Runs = <T>(measure: () => Promise<T>) => Promise<T[]>;

const cpuNote = (redis: RedisCpu, unit: string) =>
  `Redis CPU ms per 1,000 ${unit}: ${redis.masters.map((ms) => fmt(ms)).join(' + ')}` +
  (redis.replicas > 0 ? ` (replicas ${fmt(redis.replicas)})` : '');

/** The run whose rate is nearest the median, with its own CPU figures. */
function middle<T extends { rate: number; redis: RedisCpu }>(samples: T[]): T {
  const mid = median(samples.map((sample) => sample.rate));
  return samples.reduce((best, sample) => (Math.abs(sample.rate - mid) < Math.abs(best.rate - mid) ? sample : best));
}

/** Section 7: one Redis against a 3-master cluster, started here, in the same run. */
export async function clusterSection(redis: TestRedis, runs: Runs, line: Line): Promise<void> {
  const single = singleBackend(redis);
  const { backend: cluster, cluster: nodes } = await clusterBackend();
  const sites = await Promise.all(Array.from({ length: HOSTS }, () => startBenchSite()));
  try {
    process.stdout.write(`\n7. one Redis vs a local Redis Cluster (3 masters + 3 replicas, all on this machine)\n`);
    for (const backend of [single, cluster]) {
      const sqrt = middle(await runs(() => sqrtOn(backend)));
      line(`  sqrt batch, ${backend.name}`, `${fmt(sqrt.rate)} jobs/s`, cpuNote(sqrt.redis, 'jobs'));
      line(
        `    Redis-bound ceiling, ${backend.name}`,
        `${fmt(1_000_000 / sqrt.redis.masters[0])} jobs/s`,
        'one queue is one slot: its master alone, however many masters',
      );
    }
    for (const backend of [single, cluster]) {
      const crawl = middle(
        await runs(() =>
          crawlOn(
            backend,
            sites.map((site) => site.url),
            PAGES_PER_HOST,
          ),
        ),
      );
      line(
        `  crawl ${HOSTS} hosts x ${PAGES_PER_HOST} pages, 2 workers, ${backend.name}`,
        `${fmt(crawl.rate)} pages/s`,
        `${cpuNote(crawl.redis, 'pages')}; workers ${fmt(crawl.workerCpuMsPerPage, 2)} ms CPU a page`,
      );
      const total = crawl.redis.masters.reduce((sum, ms) => sum + ms, 0);
      line(
        `    Redis-bound ceiling, ${backend.name}`,
        `${fmt(1_000_000 / crawl.redis.masters[0])} pages/s`,
        `a core per master, this spread (busiest master); ${fmt((crawl.redis.masters.length * 1_000_000) / total)} if even`,
      );
    }
    for (const replicas of [0, 1]) {
      const latency = await runs(() => submitLatency(cluster, replicas));
      line(
        `  single POST on the cluster, REDIS_WAIT_REPLICAS=${replicas}, p50 / p99`,
        `${fmt(median(latency.map((l) => l.p50)), 2)} / ${fmt(median(latency.map((l) => l.p99)), 2)} ms`,
        '1,000 sequential POSTs after 500 to warm up',
      );
    }
  } finally {
    await Promise.all(sites.map((site) => site.close()));
    await nodes.destroy();
  }
}
