// npm run bench: crawlfleet against plain BullMQ on one redis-server started
// here. Every figure is the median of RUNS runs, printed beside its
// reference from the same run; the machine is shared and noisy, so read
// ratios, not absolutes.
import { startRedis, freePort } from '@crawlfleet/testkit';
import { clusterSection } from './cluster-run.js';
import { CHROMIUM, RENDER_PAGES, canRender, renderRate } from './render-bench.js';
import { crawlRate, fetchLoop, markdownJobLatency, realPageDurations, startBenchSite } from './crawl-bench.js';
import { CONTENT_PAGES, NEWS_PAGES } from './content-run.js';
import {
  batchThroughput,
  fibBatch,
  fibBig,
  httpFloor,
  plainBullmq,
  singlePosts,
  startCrawlfleet,
  waitLatency,
} from './jobs-bench.js';
import { plainWaitLatency } from './plain-wait.js';
import { keysSection, type KeysOff } from './keys-run.js';
import { peakRssMb } from './proc.js';
import { LATENCY_WARM_UP, RUNS, fmt, line, median, runs } from './stats.js';

const pct = (ours: number, reference: number) => `${fmt((ours / reference) * 100)}%`;

const redis = await startRedis();
const rss: [string, number][] = [];
const keysOff: Partial<KeysOff> = {};
try {
  process.stdout.write(`crawlfleet bench: medians of ${RUNS} runs, redis-server on port ${redis.port}\n\n`);
  const fleet = await startCrawlfleet(redis.url, await freePort());
  try {
    const plain = median(await runs(() => plainBullmq(redis.url)));
    const batch = median(await runs(() => batchThroughput(fleet)));
    const single = median(await runs(() => singlePosts(fleet)));
    Object.assign(keysOff, { batch, single });
    process.stdout.write('1-2. sqrt, 5000 jobs end to end (submitted until all completed)\n');
    line('  plain BullMQ (addBulk + Worker, concurrency 50)', `${fmt(plain)} jobs/s`, 'reference');
    line(
      '  crawlfleet, POST /v1/jobs/sqrt/batch (5 x 1000)',
      `${fmt(batch)} jobs/s`,
      `${pct(batch, plain)} of plain BullMQ (target >= 70%, >= 5,000 jobs/s)`,
    );
    line(
      '  crawlfleet, single POST /v1/jobs/sqrt, 32 clients',
      `${fmt(single)} jobs/s`,
      `${pct(single, plain)} of plain BullMQ (target >= 3,000 jobs/s)`,
    );

    const plainWait = await runs(() => plainWaitLatency(redis.url));
    const wait = await runs(() => waitLatency(fleet));
    const floor = median(await runs(() => httpFloor(fleet)));
    process.stdout.write(
      `\n3. latency, 200 sequential jobs, each waited for, after ${fmt(LATENCY_WARM_UP)} to warm up\n`,
    );
    const p = (samples: { p50: number; p99: number }[]) => ({
      p50: median(samples.map((s) => s.p50)),
      p99: median(samples.map((s) => s.p99)),
    });
    line(
      '  plain BullMQ add + waitUntilFinished p50 / p99',
      `${fmt(p(plainWait).p50, 2)} / ${fmt(p(plainWait).p99, 2)} ms`,
      'reference',
    );
    line(
      '  crawlfleet POST ?wait=5000 p50 / p99',
      `${fmt(p(wait).p50, 2)} / ${fmt(p(wait).p99, 2)} ms`,
      `${fmt(p(wait).p50 / p(plainWait).p50, 2)}x reference p50 (target p50 <= 1.2, p99 <= 3 ms)`,
    );
    keysOff.waitP50 = p(wait).p50;
    line('  of which the HTTP hop alone: GET /healthz p50', `${fmt(floor, 2)} ms`, 'no Redis involved');
    const cpu = (part: 'api' | 'worker' | 'client') => fmt(median(wait.map((w) => w.cpuMs[part])), 2);
    line(
      '  CPU per ?wait request: API / sqrt worker / client',
      `${cpu('api')} / ${cpu('worker')} / ${cpu('client')} ms`,
      'the chain shares 2 cores with Redis',
    );

    const big = await runs(() => fibBig(fleet));
    const fibRate = median(await runs(() => fibBatch(fleet)));
    process.stdout.write('\n4. fibonacci\n');
    line('  fib(1,000,000) end to end, POST ?wait', `${fmt(median(big.map((b) => b.ms)))} ms`, 'target < 1,500 ms');
    line(
      '  meanwhile fib(10) on the same worker, slowest',
      `${fmt(median(big.map((b) => b.smallMaxMs)), 1)} ms`,
      `(${fmt(median(big.map((b) => b.small)))} small jobs ran during it)`,
    );
    line('  2000 jobs of n = 1000, batch', `${fmt(fibRate)} jobs/s`);
    rss.push(
      ['sqrt worker (concurrency 50)', peakRssMb(fleet.pids.sqrt)],
      ['fibonacci worker (one thread per core)', peakRssMb(fleet.pids.fibonacci)],
      ['API', peakRssMb(fleet.pids.api)],
    );
  } finally {
    await fleet.stop();
  }

  const site = await startBenchSite();
  try {
    const loop = median(await runs(() => fetchLoop(site.url)));
    // The bench site is one host: CRAWL_HOST_CONCURRENCY (4 in flight) is what bounds the default crawl;
    // without the cap the figures compare with those before it (bench/README.md).
    const uncapped = { CRAWL_HOST_CONCURRENCY: '10000' };
    const one = await runs(async () => crawlRate(redis.url, await freePort(), site.url, 1, {}, uncapped));
    const two = await runs(async () => crawlRate(redis.url, await freePort(), site.url, 2, {}, uncapped));
    const capped = await runs(async () => crawlRate(redis.url, await freePort(), site.url, 1));
    const oneRate = median(one.map((r) => r.rate));
    keysOff.crawl = oneRate;
    const twoRate = median(two.map((r) => r.rate));
    const cappedRate = median(capped.map((r) => r.rate));
    process.stdout.write('\n5. crawl of a local 2,000-page site (one host), 20 links a page\n');
    line('  undici fetch loop, no parsing (upper bound)', `${fmt(loop)} pages/s`, 'reference');
    line(
      '  crawlfleet, 1 crawl worker, no per-host cap',
      `${fmt(oneRate)} pages/s`,
      `${pct(oneRate, loop)} of the loop (target >= 800; Scrapy ~180)`,
    );
    line(
      '  crawlfleet, 2 crawl worker processes, no cap',
      `${fmt(twoRate)} pages/s`,
      `${fmt(twoRate / oneRate, 2)}x one worker`,
    );
    line(
      '  crawl worker CPU per page (1 worker, no cap)',
      `${fmt(median(one.map((r) => r.cpuMsPerPage)), 2)} ms`,
      'user + system, steadier than pages/s on a shared machine',
    );
    line(
      '  1 crawl worker, default CRAWL_HOST_CONCURRENCY 4',
      `${fmt(cappedRate)} pages/s`,
      `${fmt(median(capped.map((r) => r.cpuMsPerPage)), 2)} ms CPU a page: pages past the cap wait in the queue`,
    );
    const slowSite = await startBenchSite(20);
    const slow = await runs(async () => crawlRate(redis.url, await freePort(), slowSite.url, 1)).finally(() =>
      slowSite.close(),
    );
    const slowRate = median(slow.map((r) => r.rate));
    line(
      '  the site answering after 20 ms a page',
      `${fmt(slowRate)} pages/s`,
      `${pct(slowRate, 200)} of the bound the cap sets: 4 / 20 ms = 200 pages/s`,
    );
    const markdown = await runs(async () =>
      crawlRate(redis.url, await freePort(), site.url, 1, { formats: ['markdown'] }, uncapped),
    );
    const markdownRate = median(markdown.map((r) => r.rate));
    line(
      '  1 crawl worker, formats: ["markdown"]',
      `${fmt(markdownRate)} pages/s`,
      `${pct(markdownRate, oneRate)} of no formats (target >= 50%)`,
    );
    line(
      '  crawl worker CPU per page, markdown',
      `${fmt(median(markdown.map((r) => r.cpuMsPerPage)), 2)} ms`,
      `${fmt(median(markdown.map((r) => r.cpuMsPerPage)) - median(one.map((r) => r.cpuMsPerPage)), 2)} ms more`,
    );
    const latency = await runs(async () => markdownJobLatency(redis.url, await freePort(), site.url));
    line(
      '  single-page crawl job, markdown, ?wait p50 / p99',
      `${fmt(median(latency.map((l) => l.p50)), 2)} / ${fmt(median(latency.map((l) => l.p99)), 2)} ms`,
      '500 sequential jobs after 200 to warm up',
    );
    // Real pages (the committed news and readability ones), the worker's own durationMs, warm (third pass).
    const real = await realPageDurations(redis.url, await freePort(), [NEWS_PAGES, CONTENT_PAGES]);
    line(
      '  crawl job of a real page, markdown, durationMs p50 / p95',
      `${fmt(real[2].p50, 1)} / ${fmt(real[2].p95, 1)} ms`,
      `${real[2].pages} pages, warm (first pass ${fmt(real[0].p50, 1)} / ${fmt(real[0].p95, 1)} ms); target <= 10 / <= 40`,
    );
    rss.push(['crawl worker (concurrency 32)', Math.max(...[...one, ...two].flatMap((r) => r.rssMb))]);
    rss.push(['crawl worker, formats: ["markdown"]', Math.max(...markdown.flatMap((r) => r.rssMb))]);
    await keysSection(redis, runs, line, keysOff as KeysOff, site.url);
  } finally {
    await site.close();
  }

  await clusterSection(redis, runs, line);

  if (canRender()) {
    const renderSite = await startBenchSite();
    try {
      process.stdout.write(
        `\n8. rendered pages (render: true), ${RENDER_PAGES} pages of the bench site, one render worker\n`,
      );
      for (const concurrency of [2, 4]) {
        const rendered = await runs(() => renderRate(redis.url, renderSite.url, concurrency));
        line(
          `  render worker, concurrency ${concurrency}`,
          `${fmt(median(rendered.map((r) => r.rate)), 1)} pages/s`,
          `${fmt(median(rendered.map((r) => r.cpuMsPerPage)))} ms CPU a page (worker + browser), ` +
            `peak ${fmt(Math.max(...rendered.map((r) => r.peakMb)))} MB`,
        );
      }
    } finally {
      await renderSite.close();
    }
  } else process.stdout.write(`\n8. rendered pages: skipped, no Chromium at ${CHROMIUM}\n`);

  process.stdout.write('\n6. peak RSS (VmHWM) over the runs above\n');
  for (const [label, mb] of rss)
    line(`  ${label}`, `${fmt(mb)} MB`, label === 'API' || label.includes('markdown') ? '' : 'target < 150 MB');
} finally {
  await redis.destroy();
}
