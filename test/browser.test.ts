import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { buildApp } from '@crawlfleet/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, silentLogger, testConfig, ROOT } from '@crawlfleet/testkit';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';

/*
 * The dashboard and the API docs in a real headless Chromium (Debian's
 * package, driven by playwright-core). Screenshots go to test-artifacts/.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  process.stdout.write(
    `browser test skipped: no Chromium at ${CHROMIUM} (Debian: apt-get install chromium, or set CHROMIUM_PATH)\n`,
  );

const ARTIFACTS = `${ROOT}test-artifacts`;
const KEY = 'browser-key-0123456789abcdef';
let app: FastifyInstance;
let browser: Browser;
let context: BrowserContext;
let base = '';

describe.skipIf(!hasChromium)('in a browser', () => {
  beforeAll(async () => {
    app = await buildApp(testConfig(inject('redisUrl'), { API_KEYS: KEY }), { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    await eventually(() => app.jobQueues.ready);
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--no-first-run',
      ],
    });
    // The dashboard sits behind the API keys, like /v1.
    context = await browser.newContext({
      extraHTTPHeaders: { authorization: `Bearer ${KEY}` },
      viewport: { width: 1280, height: 900 },
    });
    // Nothing leaves the machine: any request to another host fails the test.
    await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows the three queues on the dashboard at /admin/queues', async () => {
    const page = await context.newPage();
    const reply = await page.goto(`${base}/admin/queues`);
    expect(reply?.status()).toBe(200);
    for (const queue of ['sqrt', 'fibonacci', 'crawl']) {
      await page.getByRole('link', { name: queue, exact: true }).first().waitFor({ timeout: 15_000 });
    }
    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });
    expect(existsSync(`${ARTIFACTS}/dashboard.png`)).toBe(true);
  });

  it('lists the job routes in the API docs at /docs', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/docs`);
    for (const path of ['/v1/jobs/sqrt', '/v1/jobs/fibonacci/batch', '/v1/crawls/{id}/pages']) {
      await page
        .locator('.opblock-summary-path', { hasText: new RegExp(`^${path.replace(/[{}/]/g, '\\$&')}$`) })
        .first()
        .waitFor({ timeout: 15_000 });
    }
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
    await page.screenshot({ path: `${ARTIFACTS}/docs.png`, fullPage: true });
    expect(existsSync(`${ARTIFACTS}/docs.png`)).toBe(true);
  });
});

describe.skipIf(!hasChromium)('the dashboard for operators, in a browser', () => {
  const OPS = 'ops-key-0123456789abcdef';
  const USER = 'user-key-0123456789abcdef';
  let ops: FastifyInstance;
  let worker: RunningWorker;
  let opsBrowser: Browser;
  let opsBase = '';
  beforeAll(async () => {
    const env = { API_KEYS: `acme:${USER}`, ADMIN_KEYS: `ops:${OPS}`, JOB_ATTEMPTS: '1' };
    ops = await buildApp(testConfig(inject('redisUrl'), env), { logger: false });
    await ops.listen({ host: '127.0.0.1', port: 0 });
    opsBase = `http://127.0.0.1:${(ops.server.address() as AddressInfo).port}`;
    await eventually(() => ops.jobQueues.ready);
    const config = { ...testConfig(inject('redisUrl'), env), queuePrefix: ops.config.queuePrefix };
    worker = await startWorker({ config, queue: 'crawl', logger: silentLogger });
    opsBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await opsBrowser?.close();
    await worker?.close(3000);
    await ops?.close();
  });

  it('asks for the operator key by Basic auth, lists every queue and retries a failed job', async () => {
    // A job that fails for good: a loopback address while private networks are refused.
    const failed = await ops.inject({
      method: 'POST',
      url: '/v1/jobs/crawl?wait=10000',
      headers: { authorization: `Bearer ${USER}` },
      payload: { url: 'http://127.0.0.1:9/' },
    });
    expect(failed.json().state).toBe('failed');
    await worker.close(3000);
    const id: string = failed.json().id;
    const read = async () =>
      (await ops.inject({ url: `/v1/jobs/crawl/${id}`, headers: { authorization: `Bearer ${USER}` } })).json();

    // Without credentials the browser is asked for them (401 + WWW-Authenticate: Basic), which a headless
    // page shows as a failed navigation: read the answer with the browser's own request client.
    const anonymous = await opsBrowser.newContext();
    const refused = await anonymous.request.get(`${opsBase}/admin/queues`);
    expect(refused.status()).toBe(401);
    expect(refused.headers()['www-authenticate']).toBe('Basic realm="crawlfleet"');
    await anonymous.close();

    const context = await opsBrowser.newContext({
      httpCredentials: { username: 'anyone', password: OPS },
      viewport: { width: 1280, height: 900 },
    });
    await context.route('**/*', (route) =>
      route.request().url().startsWith(opsBase) ? route.continue() : route.abort(),
    );
    const page = await context.newPage();
    expect((await page.goto(`${opsBase}/admin/queues`))?.status()).toBe(200);
    for (const queue of ['sqrt', 'fibonacci', 'crawl', 'render', 'webhook'])
      await page.getByRole('link', { name: queue, exact: true }).first().waitFor({ timeout: 15_000 });
    await page.goto(`${opsBase}/admin/queues/queue/crawl?status=failed`);
    await page.getByText(id).first().waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Retry all' }).click({ timeout: 5000 });
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-retry.png`, fullPage: true });
    // Bull Board asks before it acts on every failed job.
    await page.getByRole('button', { name: 'Confirm' }).click({ timeout: 5000 });
    await eventually(async () => (await read()).state === 'waiting', 10_000, 'the job retried from the dashboard');
    await context.close();
  });
});
