import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { buildApp } from '@crawlfleet/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, testConfig, ROOT } from '@crawlfleet/testkit';

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
