import { freePort, type TestRedis } from '@crawlfleet/testkit';
import { crawlRate } from './crawl-bench.js';
import { BENCH_KEYS, batchThroughput, singlePosts, startCrawlfleet, waitLatency } from './jobs-bench.js';
import { fmt, median } from './stats.js';

/** The same run's figures with no keys, to compare with. */
export interface KeysOff {
  batch: number;
  single: number;
  waitP50: number;
  crawl: number;
}

/**
 * Section 9: sqrt batch, single POSTs, ?wait latency and crawl pages/s with
 * API_KEYS on (a tenant key: ownership recorded and checked, quotas counted),
 * beside the same run's figures with keys off.
 */
export async function keysSection(
  redis: TestRedis,
  runs: <T>(measure: () => Promise<T>) => Promise<T[]>,
  line: (label: string, value: string, note?: string) => void,
  off: KeysOff,
  crawlSiteUrl: string,
): Promise<void> {
  const pct = (on: number, reference: number) => `${fmt((on / reference) * 100)}% of keys off`;
  process.stdout.write('\n9. with API_KEYS (a tenant key: ownership and quotas), beside the figures above\n');
  const fleet = await startCrawlfleet(redis.url, await freePort(), BENCH_KEYS);
  try {
    const batch = median(await runs(() => batchThroughput(fleet)));
    const single = median(await runs(() => singlePosts(fleet)));
    const wait = median((await runs(() => waitLatency(fleet))).map((w) => w.p50));
    line('  sqrt batch, keys on', `${fmt(batch)} jobs/s`, `${pct(batch, off.batch)} (${fmt(off.batch)})`);
    line('  single POSTs, keys on', `${fmt(single)} jobs/s`, `${pct(single, off.single)} (${fmt(off.single)})`);
    line(
      '  ?wait p50, keys on',
      `${fmt(wait, 2)} ms`,
      `${fmt(wait / off.waitP50, 2)}x keys off (${fmt(off.waitP50, 2)} ms)`,
    );
  } finally {
    await fleet.stop();
  }
  const uncapped = { CRAWL_HOST_CONCURRENCY: '10000', ...BENCH_KEYS };
  const crawl = median(
    (await runs(async () => crawlRate(redis.url, await freePort(), crawlSiteUrl, 1, {}, uncapped))).map((r) => r.rate),
  );
  line('  crawl, 1 worker, no cap, keys on', `${fmt(crawl)} pages/s`, `${pct(crawl, off.crawl)} (${fmt(off.crawl)})`);
}
