import { lookup } from 'node:dns';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '@crawlfleet/api';
import type { LookupFunction } from '@crawlfleet/tasks';
import { eventually, runCli, silentLogger, testApi, testConfig, type FixtureSite } from '@crawlfleet/testkit';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PAGES, pageData, startRenderSite, startWitness } from './render-site.js';

/*
 * The render queue against the local site: pages whose links and text only
 * a script writes, a page that never stops running, a page aiming the browser
 * at an address the policy refuses.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) process.stdout.write(`render tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);

const TIMEOUT_MS = 6000;
/** CRAWL_MAX_BYTES of this file's workers: the site's heavy pages are sized against it. */
const MAX_BYTES = 1024 * 1024;
let app: FastifyInstance;
let site: FixtureSite;
let witness: Awaited<ReturnType<typeof startWitness>>;
const workers: RunningWorker[] = [];

/** The policy of this file's workers: the site on 127.0.0.1 is allowed, 127.0.0.2 (the witness) is not. */
const policy = (address: string) => address === '127.0.0.1';
/** internal.test resolves to the refused address, as a name an attacker controls would. */
const resolve: LookupFunction = (hostname, options, callback) =>
  hostname === 'internal.test'
    ? callback(null, options.all ? [{ address: '127.0.0.2', family: 4 }] : '127.0.0.2', 4)
    : lookup(hostname, options, callback);

describe.skipIf(!hasChromium)('the render queue', () => {
  beforeAll(async () => {
    witness = await startWitness('127.0.0.2');
    site = await startRenderSite(witness.url);
    // The API takes loopback URLs; the workers judge addresses by the policy above.
    const env = {
      CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
      CRAWL_TIMEOUT_MS: String(TIMEOUT_MS),
      CRAWL_MAX_BYTES: String(MAX_BYTES),
      JOB_ATTEMPTS: '1',
      CHROMIUM_PATH: CHROMIUM,
      // What pages do, within a 6 s deadline beside the other render files: without the sandbox, which costs
      // ~1.8x the CPU a page. The sandbox has its own tests (render-process, render-hostile).
      RENDER_SANDBOX: 'off',
    };
    app = await testApi(buildApp, inject('redisUrl'), env);
    const config = { ...testConfig(inject('redisUrl'), env), queuePrefix: app.config.queuePrefix };
    const overrides = { policy, resolve };
    for (const queue of ['crawl', 'render'] as const)
      workers.push(await startWorker({ config, queue, logger: silentLogger, overrides }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close(5000)));
    await app?.close();
    await site?.close();
    await witness?.close();
  });

  const job = async (body: object) => {
    const reply = await app.inject({ method: 'POST', url: '/v1/jobs/crawl?wait=20000', payload: body });
    return reply.json();
  };

  it('reads links and text a script writes only when rendered; a plain fetch sees the empty shell', async () => {
    const url = `${site.url}/js/0`;
    const plain = await job({ url, formats: ['markdown'] });
    expect(plain.state).toBe('completed');
    expect(plain.result.links).toEqual([]);
    expect(plain.result.rendered).toBeUndefined();
    // networkidle: the page's own fetch() is not part of its load event.
    const rendered = await job({ url, formats: ['markdown', 'links'], render: true, renderWaitUntil: 'networkidle' });
    expect(rendered.state, JSON.stringify(rendered)).toBe('completed');
    expect(rendered.id).toMatch(/^render-/);
    expect(rendered.result).toMatchObject({ rendered: true, status: 200, title: 'Page 0' });
    expect(rendered.result.links).toEqual(pageData(0).links.map((path) => `${site.url}${path}`));
    expect(rendered.result.markdown).toContain('Rendered words of page 0');
    // The job reads back through the crawl type, as it was sent.
    const read = (await app.inject({ url: `/v1/jobs/crawl/${rendered.id}` })).json();
    expect(read).toMatchObject({ id: rendered.id, state: 'completed', result: { rendered: true } });
    const queues = (await app.inject({ url: '/v1/queues' })).json().queues;
    expect(queues.find((queue: { type: string }) => queue.type === 'render')).toMatchObject({ workers: 1 });
  });

  it('waits for the page to settle by default: content fetched after load is read, run after run', async () => {
    for (let i = 0; i < 5; i++) {
      const n = i % PAGES;
      const rendered = await job({ url: `${site.url}/js/${n}`, formats: ['markdown'], render: true });
      expect(rendered.state, JSON.stringify(rendered)).toBe('completed');
      expect(rendered.result.markdown, `run ${i}`).toContain(`Rendered words of page ${n}`);
    }
  });

  it('crawls a site of script-written links with render: true, each page fetched once', async () => {
    const before = new Map(site.hits);
    const started = await app.inject({
      method: 'POST',
      url: '/v1/crawls',
      payload: {
        url: `${site.url}/js/0`,
        render: true,
        renderWaitUntil: 'networkidle',
        maxDepth: 10,
        formats: ['text'],
      },
    });
    expect(started.statusCode).toBe(202);
    const id = started.json().id;
    const crawl = (await app.inject({ url: `/v1/crawls/${id}?wait=25000` })).json();
    expect(crawl.state, JSON.stringify(crawl)).toBe('completed');
    expect(crawl.options.render).toBe(true);
    expect(crawl.stats.fetched).toBe(PAGES);
    for (let n = 0; n < PAGES; n++) expect((site.hits.get(`/js/${n}`) ?? 0) - (before.get(`/js/${n}`) ?? 0)).toBe(1);
    const pages = (await app.inject({ url: `/v1/crawls/${id}/pages` })).json().items;
    expect(pages).toHaveLength(PAGES);
    for (const page of pages) expect(page).toMatchObject({ rendered: true, status: 200 });
    expect(pages.map((page: { text: string }) => page.text).join(' ')).toContain('Rendered words of page 5');
  }, 40_000);

  it('ends a page that never stops running scripts at the deadline, and goes on with the next job', async () => {
    const started = Date.now();
    const spun = await job({ url: `${site.url}/spin`, render: true });
    expect(spun.state).toBe('failed');
    expect(spun.error).toMatch(/CF_ERR_FETCH_TIMEOUT/);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 6000);
    const next = await job({ url: `${site.url}/js/1`, render: true, renderWaitUntil: 'networkidle' });
    expect(next).toMatchObject({ state: 'completed', result: { rendered: true, title: 'Page 1' } });
  }, 30_000);

  it('sends nothing to an address the policy refuses, whatever the page asks for', async () => {
    const evil = await job({ url: `${site.url}/evil`, render: true, renderWaitMs: 1000, renderResources: 'all' });
    expect(evil.state, JSON.stringify(evil)).toBe('completed');
    expect(evil.result.rendered).toBe(true);
    const redirected = await job({ url: `${site.url}/to-evil`, render: true });
    expect(redirected.state).toBe('failed');
    expect(redirected.error).toMatch(/CF_ERR_FETCH_REFUSED/);
    // Give stray connections (a prefetch, a beacon) time to arrive, if any were made.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(witness.seen).toEqual([]);
  }, 30_000);

  it('stops a page past CRAWL_MAX_BYTES over all its responses, and loads no images unless asked', async () => {
    const heavy = await job({ url: `${site.url}/heavy`, render: true });
    expect(heavy.state).toBe('failed');
    expect(heavy.error).toMatch(/CF_ERR_BODY_TOO_LARGE/);
    // What a script writes counts too: the DOM is measured before it leaves the browser.
    const grown = await job({ url: `${site.url}/grows`, render: true });
    expect(grown.state).toBe('failed');
    expect(grown.error).toMatch(/CF_ERR_BODY_TOO_LARGE.*DOM/);
    const before = site.hits.get('/picture.png') ?? 0;
    expect((await job({ url: `${site.url}/with-image`, render: true })).state).toBe('completed');
    expect(site.hits.get('/picture.png') ?? 0).toBe(before);
    const all = await job({ url: `${site.url}/with-image`, render: true, renderResources: 'all' });
    expect(all.state).toBe('completed');
    expect(site.hits.get('/picture.png') ?? 0).toBe(before + 1);
  }, 30_000);

  it('renders from the CLI: scrape --render --wait-until networkidle prints what a script wrote, crawl --render too', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const env = { CRAWLFLEET_URL: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
    const url = `${site.url}/js/4`;
    const plain = await runCli(['scrape', url], env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain('Rendered words of page 4');
    const rendered = await runCli(['scrape', url, '--render', '--wait-until', 'networkidle'], env);
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(rendered.stdout).toContain('Rendered words of page 4');
    const alone = await runCli(['scrape', url, '--wait-until', 'networkidle'], env);
    expect(alone).toMatchObject({ code: 2, stderr: expect.stringContaining('--wait-until needs --render') });
    const dir = await mkdtemp(join(tmpdir(), 'crawlfleet-render-cli-'));
    try {
      const out = join(dir, 'pages.ndjson');
      const args = [
        'crawl',
        `${site.url}/js/0`,
        '--render',
        '--wait-until',
        'networkidle',
        '--max-pages',
        '3',
        '--format',
        'text',
      ];
      const crawled = await runCli([...args, '--out', out], env);
      expect(crawled.code, crawled.stderr).toBe(0);
      const pages = (await readFile(out, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { rendered?: boolean; text?: string });
      expect(pages).toHaveLength(3);
      for (const page of pages) expect(page.rendered, JSON.stringify(page).slice(0, 400)).toBe(true);
      expect(pages.map((page) => page.text).join(' ')).toContain('Rendered words of page 0');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('waits in the render queue, not the crawl queue, with no render worker', async () => {
    await workers.pop()!.close(5000);
    const accepted = await app.inject({
      method: 'POST',
      url: '/v1/jobs/crawl',
      payload: { url: `${site.url}/js/2`, render: true },
    });
    expect(accepted.statusCode).toBe(202);
    await eventually(
      async () => (await app.inject({ url: accepted.json().url })).json().state === 'waiting',
      5000,
      'the job waiting',
    );
    const queues = (await app.inject({ url: '/v1/queues' })).json().queues;
    expect(queues.find((queue: { type: string }) => queue.type === 'render')).toMatchObject({ workers: 0 });
    expect(queues.find((queue: { type: string }) => queue.type === 'render').counts.waiting).toBeGreaterThanOrEqual(1);
  });
});
