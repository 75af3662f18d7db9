import { SafeFetcher } from '@crawlfleet/tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostileSite, type HostileSite } from './hostile-site.js';

/* Every fetch settles by its deadline, compressed or not, stalled or cut off. */

const TIMEOUT_MS = 800;
let site: HostileSite;
let fetcher: SafeFetcher;

beforeAll(async () => {
  site = await startHostileSite();
  fetcher = new SafeFetcher({
    userAgent: 'crawlfleet-test',
    timeoutMs: TIMEOUT_MS,
    connectTimeoutMs: 500,
    maxBytes: 5 * 1024 * 1024,
    maxRedirects: 3,
    allowPrivateNetworks: true,
  });
});
afterAll(async () => {
  await fetcher.close();
  await site.close();
});

async function settle(path: string): Promise<{ code: string | undefined; ms: number }> {
  const started = Date.now();
  try {
    await fetcher.fetch(`${site.url}${path}`);
    return { code: 'resolved', ms: Date.now() - started };
  } catch (err) {
    return { code: (err as { code?: string }).code, ms: Date.now() - started };
  }
}

describe('compressed bodies', () => {
  it.each(['/gzip-stall', '/br-stall'])('%s ends at the deadline with CF_ERR_FETCH_TIMEOUT', async (path) => {
    const { code, ms } = await settle(path);
    expect(code).toBe('CF_ERR_FETCH_TIMEOUT');
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + 1200);
  });

  it.each(['/gzip-cut', '/br-cut'])('%s cut mid-stream fails at once with CF_ERR_FETCH_FAILED', async (path) => {
    const { code, ms } = await settle(path);
    expect(code).toBe('CF_ERR_FETCH_FAILED');
    expect(ms).toBeLessThan(TIMEOUT_MS);
  });
});
