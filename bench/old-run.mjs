// The figures of "before" in bench/README.md (the crawl frontier): run from a checkout of the commit
// before the frontier, after its `npm run build`: node bench/old-run.mjs
import { freePort, startRedis } from '@crawlfleet/testkit';
import { crawlRate, startBenchSite } from './dist/crawl-bench.js';
const redis = await startRedis();
const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const [delay, cap] of [
    [0, '10000'],
    [0, '64'],
    [0, '4'],
    [20, '4'],
  ]) {
    const site = await startBenchSite(delay);
    const rs = [];
    for (let i = 0; i < 3; i++)
      rs.push(await crawlRate(redis.url, await freePort(), site.url, 1, {}, { CRAWL_HOST_CONCURRENCY: cap }));
    console.log(
      `old delay ${delay} cap ${cap}: ${med(rs.map((r) => r.rate)).toFixed(0)} pages/s, ${med(rs.map((r) => r.cpuMsPerPage)).toFixed(2)} ms CPU`,
    );
    await site.close();
  }
} finally {
  await redis.stop();
}
