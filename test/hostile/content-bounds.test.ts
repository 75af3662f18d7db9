import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureSite, type FixtureSite } from '@crawlfleet/testkit';
import { inProcessFleet } from '../in-process-fleet.js';

/*
 * No parser can be nested to death: content is extracted off the worker's
 * event loop, within CRAWL_MAX_CONTENT_MS, and nesting the tree builder
 * makes (implied end tags) counts toward CRAWL_MAX_CONTENT_DEPTH. Text and a
 * warning, never a RangeError or a failed job, never a blocked event loop.
 */

let fleet: Awaited<ReturnType<typeof inProcessFleet>>;
let app: FastifyInstance;
let site: FixtureSite;

const html = (body: string) => `<!doctype html><html><head><title>deep</title></head><body>${body}</body></html>`;

beforeAll(async () => {
  site = await startFixtureSite('127.0.0.1', {});
  // Implicitly closed tags that nest for real in the tree: the tokenizer's estimate sees depth 1.
  site.route('/p-li', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(html('<p>word <li>item '.repeat(5000))),
  );
  site.route('/b', (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(html(`${'<b>'.repeat(20_000)}bold${'</b>'.repeat(20_000)}`)),
  );
  site.route('/fine', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(html('<main><h1>Title</h1><p>Some text.</p></main>')),
  );
  fleet = await inProcessFleet({ CRAWL_ALLOW_PRIVATE_NETWORKS: 'true', CRAWL_MAX_CONTENT_MS: '2000' });
  app = fleet.app;
});
afterAll(async () => {
  await fleet.close();
  await site.close();
});

async function crawl(path: string) {
  const reply = await app.inject({
    method: 'POST',
    url: '/v1/jobs/crawl?wait=20000',
    payload: { url: `${site.url}${path}`, formats: ['markdown', 'text'] },
  });
  return reply.json();
}

describe('content of pages nested to death', () => {
  it('gives text and a warning in bounded time, the event loop never blocked over 100 ms', async () => {
    await crawl('/fine'); // starts a content thread
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = Date.now();
    const [pLi, bold] = [await crawl('/p-li'), await crawl('/b')];
    delay.disable();
    for (const job of [pLi, bold]) {
      expect(job.state, JSON.stringify(job).slice(0, 300)).toBe('completed');
      expect(job.result.warning).toMatch(/text only/);
      expect(job.result.markdown.length).toBeGreaterThan(0);
      expect(job.result.text).toBe(job.result.markdown);
    }
    expect(pLi.result.warning).toMatch(/CRAWL_MAX_CONTENT_DEPTH|CRAWL_MAX_CONTENT_MS/);
    expect(pLi.result.text).toContain('word item');
    expect(bold.result.text).toContain('bold');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(delay.max / 1e6).toBeLessThan(100);
    // A plain page is converted as always.
    expect((await crawl('/fine')).result.markdown).toBe('# Title\n\nSome text.');
  });
});
