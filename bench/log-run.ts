import { freePort, startRedis } from '@crawlfleet/testkit';
import { batchThroughput, singlePosts, startCrawlfleet } from './jobs-bench.js';
import { RUNS, fmt, line, median } from './stats.js';

/*
 * `npm run bench:logs`: what the per-job `info` line costs (issue: logging at
 * info must not cost throughput). sqrt batch and single POSTs with the API and
 * workers at LOG_LEVEL=info (one line per finished job, request logs at debug)
 * beside LOG_LEVEL=warn (what `npm run bench` runs with), alternating, BENCH_RUNS
 * times each; the lines go to stdout, dropped (a file or a pipe costs about the
 * same: pino writes synchronously either way).
 */

const redis = await startRedis();
try {
  const figures: Record<'warn' | 'info', { batch: number[]; single: number[] }> = {
    warn: { batch: [], single: [] },
    info: { batch: [], single: [] },
  };
  for (let run = 0; run < RUNS; run++)
    for (const level of ['warn', 'info'] as const) {
      const fleet = await startCrawlfleet(redis.url, await freePort(), { LOG_LEVEL: level });
      try {
        figures[level].batch.push(await batchThroughput(fleet));
        figures[level].single.push(await singlePosts(fleet));
      } finally {
        await fleet.stop();
      }
    }
  for (const kind of ['batch', 'single'] as const) {
    const warn = median(figures.warn[kind]);
    const info = median(figures.info[kind]);
    line(
      `sqrt ${kind === 'batch' ? 'batch' : 'single POSTs'}, LOG_LEVEL=info`,
      `${fmt(info)} jobs/s`,
      `${fmt((info / warn) * 100)}% of warn (${fmt(warn)})`,
    );
  }
} finally {
  await redis.stop();
}
