import { existsSync } from 'node:fs';
import { treeCpuMs, treeRssBytes } from '@crawlfleet/worker/process-tree';
import { crawlCompleted, startCrawlers } from './crawl-bench.js';
import type { RedisEnv } from './jobs-bench.js';
import { startWorkerProcess, stopProcess, until } from './processes.js';
import { freePort } from '@crawlfleet/testkit';

/** Pages of the bench site one render run crawls (a browser renders a few pages a second here). */
export const RENDER_PAGES = 100;

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** True when the render bench can run. */
export function canRender(): boolean {
  return existsSync(CHROMIUM);
}

/**
 * A crawl of RENDER_PAGES pages of the bench site with render: true and one
 * render worker process at `concurrency`: pages/s, the CPU of the worker and
 * its browser per page, and their peak memory (proportional, sampled every 200 ms).
 */
export async function renderRate(
  redis: string | RedisEnv,
  siteUrl: string,
  concurrency: number,
): Promise<{ rate: number; cpuMsPerPage: number; peakMb: number }> {
  const env = { CRAWL_HOST_CONCURRENCY: '10000', CHROMIUM_PATH: CHROMIUM, WORKER_CONCURRENCY: String(concurrency) };
  // The API alone (no crawl worker: the crawl's pages are all render jobs), then one render worker.
  const { json, stop, env: fleetEnv } = await startCrawlers(redis, await freePort(), 0, env);
  const worker = startWorkerProcess('render', fleetEnv);
  const pid = worker.pid;
  try {
    if (pid === undefined) throw new Error('the render worker did not start');
    await until(async () => {
      const { body } = await json('/v1/queues');
      return (body.queues as { type: string; workers: number }[]).some((q) => q.type === 'render' && q.workers === 1);
    });
    // A first page starts the browser: not counted.
    const warm = await json('/v1/jobs/crawl?wait=30000', {
      method: 'POST',
      body: JSON.stringify({ url: `${siteUrl}/p/0`, render: true, renderWaitUntil: 'load' }),
    });
    if (warm.body.state !== 'completed') throw new Error(`warm-up render: ${JSON.stringify(warm.body)}`);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, treeRssBytes(pid))), 200);
    const cpuBefore = treeCpuMs(pid);
    const started = performance.now();
    const { body } = await json('/v1/crawls', {
      method: 'POST',
      body: JSON.stringify({
        url: `${siteUrl}/p/0`,
        render: true,
        renderWaitUntil: 'load',
        maxDepth: 100,
        maxPages: RENDER_PAGES,
      }),
    });
    const crawl = await crawlCompleted(json, String(body.id), 600_000);
    const seconds = (performance.now() - started) / 1000;
    const cpu = treeCpuMs(pid) - cpuBefore;
    clearInterval(sampler);
    const fetched = (crawl.stats as { fetched: number }).fetched;
    if (fetched !== RENDER_PAGES) throw new Error(`render crawl fetched ${fetched} pages, expected ${RENDER_PAGES}`);
    return { rate: fetched / seconds, cpuMsPerPage: cpu / fetched, peakMb: peak / 1024 / 1024 };
  } finally {
    await stopProcess(worker);
    await stop();
  }
}
