// npm run bench:frontier: the crawl engine's figures (issue 24) on one
// redis-server started here: politeness cost on one host, the 20 ms site,
// a broad crawl of 25 hosts, fairness between crawls and tenants, and Redis
// bytes and CPU a page. Medians of BENCH_RUNS runs; read ratios, not absolutes.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort, startRedis } from '@crawlfleet/testkit';
import { crawlCompleted, crawlRate, fetchLoop, startBenchSite, startCrawlers } from './crawl-bench.js';
import { RUNS, fmt, line as printLine, median, runs } from './stats.js';
import { Frontier } from '@crawlfleet/crawl';

/** BENCH_SECTIONS=4,5 runs those sections only. */
const only = (section: string) =>
  !process.env.BENCH_SECTIONS || process.env.BENCH_SECTIONS.split(',').includes(section);

const line = (label: string, value: string, note = '') => printLine(label, value, note, 56);

const redis = await startRedis();
const admin = new Redis(redis.url);

/** redis-server's CPU so far (user + system), in ms. */
async function redisCpuMs(): Promise<number> {
  const info = await admin.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
  return (user + sys) * 1000;
}

async function usedMemory(): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1] ?? 0);
}

/**
 * `crawls` crawls (one per site, or all of one site), started at once on one API and one
 * crawl worker with `concurrency` slots: pages/s over all, each crawl's seconds, max in flight per host.
 */
async function crawlTogether(
  seeds: string[],
  body: Record<string, unknown>,
  env: Record<string, string>,
  keys: string[] = [],
): Promise<{ rate: number; seconds: number[]; pages: number }> {
  const fleet = await startCrawlers(redis.url, await freePort(), 1, env);
  try {
    const started = performance.now();
    const ids = await Promise.all(
      seeds.map(async (seed, index) => {
        const { status, body: reply } = await fleet.json('/v1/crawls', {
          method: 'POST',
          body: JSON.stringify({ url: seed, ...body }),
          ...(keys[index] ? { headers: { authorization: `Bearer ${keys[index]}` } } : {}),
        });
        if (status !== 202) throw new Error(`POST /v1/crawls answered ${status}: ${JSON.stringify(reply)}`);
        return String(reply.id);
      }),
    );
    const seconds: number[] = [];
    let pages = 0;
    await Promise.all(
      ids.map(async (id) => {
        const crawl = await crawlCompleted(fleet.json, id);
        seconds.push((performance.now() - started) / 1000);
        pages += (crawl.stats as { fetched: number }).fetched;
      }),
    );
    return { rate: pages / Math.max(...seconds), seconds, pages };
  } finally {
    await fleet.stop();
  }
}

try {
  process.stdout.write(`crawlfleet frontier bench: medians of ${RUNS} runs, redis-server on port ${redis.port}\n\n`);
  if (only('1')) {
    const site = await startBenchSite();
    try {
      process.stdout.write('1. one host, 2,000 pages answering at once, one crawl worker\n');
      const rated: Record<string, { rate: number; cpu: number; redisCpu: number }> = {};
      for (const cap of ['10000', '64', '4']) {
        const samples = await runs(async () => {
          const before = await redisCpuMs();
          const run = await crawlRate(redis.url, await freePort(), site.url, 1, {}, { CRAWL_HOST_CONCURRENCY: cap });
          return { ...run, redisCpu: ((await redisCpuMs()) - before) / 2000 };
        });
        rated[cap] = {
          rate: median(samples.map((s) => s.rate)),
          cpu: median(samples.map((s) => s.cpuMsPerPage)),
          redisCpu: median(samples.map((s) => s.redisCpu)),
        };
        line(
          `  CRAWL_HOST_CONCURRENCY=${cap}`,
          `${fmt(rated[cap].rate)} pages/s`,
          `${fmt(rated[cap].cpu, 2)} ms worker CPU, ${fmt(rated[cap].redisCpu * 1000)} µs Redis CPU a page`,
        );
      }
      line('  cap 64 / cap lifted (10000)', `${fmt((rated['64'].rate / rated['10000'].rate) * 100)}%`, 'pages/s');
      line('  cap 4 / cap 64, worker CPU a page', `${fmt(rated['4'].cpu / rated['64'].cpu, 2)}x`, 'target <= 1.1x');
    } finally {
      await site.close();
    }
  }

  if (only('2')) {
    const slow = await startBenchSite(20);
    try {
      const rate = median(
        (await runs(async () => crawlRate(redis.url, await freePort(), slow.url, 1))).map((run) => run.rate),
      );
      line('\n2. the site answering in 20 ms, cap 4', `${fmt(rate)} pages/s`, `of the 200 pages/s the cap allows`);
      line('  site max in flight', String(slow.maxInFlight()), 'cap 4');
      // What this machine's timers and loopback allow: a bare fetch loop, 4 at a time, no crawler at all.
      const floor = median(await runs(async () => fetchLoop(slow.url, 4)));
      line('  undici fetch loop, 4 at a time, no crawler', `${fmt(floor)} pages/s`, 'what the machine allows');
      line('  crawl / fetch loop', `${fmt((rate / floor) * 100)}%`, '');
    } finally {
      await slow.close();
    }
  }

  if (only('3')) {
    process.stdout.write('\n3. broad crawl: 25 hosts x 200 pages, 50 ms a page, one worker with 100 slots\n');
    const sites = await Promise.all(Array.from({ length: 25 }, () => startBenchSite(50, 200)));
    try {
      const seeds = sites.map((one) => `${one.url}/p/0`);
      const body = { maxDepth: 100, maxPages: 200, sitemap: 'skip' };
      const broad: Record<string, number> = {};
      for (const cap of ['64', '4']) {
        const env = { CRAWL_HOST_CONCURRENCY: cap, WORKER_CONCURRENCY: '100' };
        broad[cap] = median((await runs(() => crawlTogether(seeds, body, env))).map((run) => run.rate));
        const inFlight = Math.max(...sites.map((one) => one.maxInFlight(true)));
        line(`  cap ${cap}`, `${fmt(broad[cap])} pages/s`, `max in flight per host seen by the sites: ${inFlight}`);
      }
      const bound = Math.min(2000, broad['64']);
      line('  cap 4 / min(2,000, cap 64)', `${fmt((broad['4'] / bound) * 100)}%`, 'target >= 80%');
    } finally {
      await Promise.all(sites.map((one) => one.close()));
    }
  }

  if (only('4')) {
    process.stdout.write('\n4. fairness on one host (cap 4, 20 ms a page)\n');
    const big = await startBenchSite(20, 20_000);
    try {
      const body = { maxDepth: 100, maxPages: 300, sitemap: 'skip' };
      const gaps = await runs(async () => {
        const { seconds } = await crawlTogether([`${big.url}/p/1`, `${big.url}/p/2`], body, {});
        return (Math.abs(seconds[0] - seconds[1]) / Math.max(...seconds)) * 100;
      });
      line('  two like crawls (300 pages) started together', `${fmt(median(gaps), 1)}%`, 'apart at the end (<= 15%)');
      const keys = { A: 'bench-tenant-a-0123456789', B: 'bench-tenant-b-0123456789' };
      const env = {
        API_KEYS: `a:${keys.A},b:${keys.B}`,
        ADMIN_KEYS: 'ops:bench-tenant-ops-0123456789',
        WORKER_CONCURRENCY: '16',
      };
      const small = { maxDepth: 100, maxPages: 100, sitemap: 'skip' };
      const alone = median(
        (await runs(() => crawlTogether([`${big.url}/p/5`], small, env, [keys.B]))).map((run) => run.seconds[0]),
      );
      const beside = median(
        (
          await runs(async () => {
            const fleet = await startCrawlers(redis.url, await freePort(), 1, env);
            try {
              const post = async (key: string, seed: number, pages: number) => {
                const request = { url: `${big.url}/p/${seed}`, maxDepth: 100, maxPages: pages, sitemap: 'skip' };
                const init = {
                  method: 'POST',
                  body: JSON.stringify(request),
                  headers: { authorization: `Bearer ${key}` },
                };
                return String((await fleet.json('/v1/crawls', init)).body.id);
              };
              const large = await post(keys.A, 7, 20_000);
              await new Promise((resolve) => setTimeout(resolve, 2000));
              const started = performance.now();
              const id = await post(keys.B, 9, 100);
              await crawlCompleted(fleet.json, id);
              const seconds = (performance.now() - started) / 1000;
              await fleet.json(`/v1/crawls/${large}`, { method: 'DELETE', body: '{}' });
              return seconds;
            } finally {
              await fleet.stop();
            }
          })
        ).map((seconds) => seconds),
      );
      line(
        "  tenant B's 100 pages beside A's 20,000-page crawl",
        `${fmt(beside / alone, 2)}x`,
        `its time alone (${fmt(alone, 1)} s; target <= 3x)`,
      );
    } finally {
      await big.close();
    }
  }

  if (only('5')) {
    process.stdout.write('\n5. Redis memory\n');
    {
      const frontier = new Frontier(admin, {
        queuePrefix: `bench-${randomUUID()}`,
        crawlQueueShards: 1,
        crawlHostConcurrency: 4,
        crawlTimeoutMs: 15_000,
        jobAttempts: 3,
        resultTtlSeconds: 86_400,
      });
      const before = await usedMemory();
      const urls = Array.from({ length: 100_000 }, (_, i) => ({
        depth: 3,
        tries: 0,
        waits: 0,
        url: `https://www.example-host-${i % 50}.com/articles/2026/12/page-${i}?ref=home`,
      }));
      for (let i = 0; i < urls.length; i += 1000) await frontier.push('bench-crawl', 'p', urls.slice(i, i + 1000));
      line(
        '  bytes retained per queued URL (~70-char URLs)',
        fmt(((await usedMemory()) - before) / urls.length),
        'target <= 300',
      );
      const site = await startBenchSite();
      try {
        const start = await usedMemory();
        const cpu = await redisCpuMs();
        await crawlRate(redis.url, await freePort(), site.url, 1, {}, { CRAWL_HOST_CONCURRENCY: '64' });
        line(
          '  bytes a fetched page (no content), crawl ended',
          fmt(((await usedMemory()) - start) / 2000),
          'was ~2,700',
        );
        line(
          '  Redis CPU a page (cap 64, with the API)',
          `${fmt((((await redisCpuMs()) - cpu) / 2000) * 1000)} µs`,
          'was ~270',
        );
        // BullMQ keeps a queue's last 10,000 events (~5 a page job): a larger crawl spreads them thinner.
        const large = await startBenchSite(0, 20_000);
        try {
          const before = await usedMemory();
          const fleet = await startCrawlers(redis.url, await freePort(), 1, { CRAWL_HOST_CONCURRENCY: '64' });
          try {
            const request = { url: `${large.url}/p/0`, maxDepth: 100, maxPages: 20_000, sitemap: 'skip' };
            const { body: reply } = await fleet.json('/v1/crawls', { method: 'POST', body: JSON.stringify(request) });
            const crawl = await crawlCompleted(fleet.json, String(reply.id));
            const pages = (crawl.stats as { fetched: number }).fetched;
            line(`  bytes a fetched page, a ${fmt(pages)}-page crawl`, fmt(((await usedMemory()) - before) / pages));
          } finally {
            await fleet.stop();
          }
        } finally {
          await large.close();
        }
      } finally {
        await site.close();
      }
    }
  }
} finally {
  admin.disconnect();
  await redis.stop();
}
