// npm run bench: crawlfleet against plain BullMQ on one redis-server started
// here. Every figure is the median of RUNS runs; the machine is shared and
// noisy, so read ratios, not absolutes.
import { startRedis, freePort } from '../test/helpers/redis-server.js';
import { crawlRate, fetchLoop, startBenchSite } from './crawl-bench.js';
import { batchThroughput, plainBullmq, startCrawlfleet, waitLatency } from './sqrt-bench.js';
import { fmt, median } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function line(label: string, value: string, note = '') {
  process.stdout.write(`${label.padEnd(48)} ${value.padStart(14)}  ${note}\n`);
}

const redis = await startRedis();
try {
  process.stdout.write(`crawlfleet bench: medians of ${RUNS} runs, redis-server on port ${redis.port}\n\n`);
  const plain: number[] = [];
  const ours: number[] = [];
  const p50s: number[] = [];
  const p99s: number[] = [];
  const fleet = await startCrawlfleet(redis.url, await freePort());
  try {
    for (let run = 0; run < RUNS; run++) {
      plain.push(await plainBullmq(redis.url));
      ours.push(await batchThroughput(fleet));
      const { p50, p99 } = await waitLatency(fleet);
      p50s.push(p50);
      p99s.push(p99);
    }
  } finally {
    await fleet.stop();
  }
  const ratio = median(ours) / median(plain);
  process.stdout.write('sqrt, 5000 jobs end to end\n');
  line('  plain BullMQ (addBulk + Worker, concurrency 50)', `${fmt(median(plain))} jobs/s`, 'reference');
  line('  crawlfleet (POST /v1/jobs/sqrt/batch + worker)', `${fmt(median(ours))} jobs/s`, `${fmt(ratio * 100)}% of plain BullMQ (target >= 70%)`);
  process.stdout.write('\nlatency, 200 sequential POST /v1/jobs/sqrt?wait=5000\n');
  line('  p50', `${fmt(median(p50s), 2)} ms`, 'target < 1.5 ms');
  line('  p99', `${fmt(median(p99s), 2)} ms`);

  const site = await startBenchSite();
  try {
    const loop: number[] = [];
    const one: number[] = [];
    const two: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      loop.push(await fetchLoop(site.url));
      one.push((await crawlRate(redis.url, await freePort(), site.url, 1)).rate);
      two.push((await crawlRate(redis.url, await freePort(), site.url, 2)).rate);
    }
    process.stdout.write('\ncrawl of a local 2,000-page site, 20 links a page\n');
    line('  undici fetch loop, no parsing (upper bound)', `${fmt(median(loop))} pages/s`);
    line('  crawlfleet, 1 crawl worker (npm start)', `${fmt(median(one))} pages/s`, `target >= 700; Scrapy ~180`);
    line('  crawlfleet, 2 crawl workers', `${fmt(median(two))} pages/s`, `${fmt(median(two) / median(one), 2)}x one worker`);
  } finally {
    await site.close();
  }
} finally {
  await redis.destroy();
}
