import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '@crawlfleet/api';
import type { Config } from '@crawlfleet/core';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, postJson, startCrawlSite, testConfig, type FixtureSite } from '@crawlfleet/testkit';

/* What a worker says at info: a line per finished job, one per crawl end with its totals. */

let app: FastifyInstance;
let config: Config;
let site: FixtureSite;
const workers: RunningWorker[] = [];
const lines: Record<string, unknown>[] = [];

const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  }),
);

beforeAll(async () => {
  config = testConfig(inject('redisUrl'), { CRAWL_ALLOW_PRIVATE_NETWORKS: 'true', CRAWL_TIMEOUT_MS: '1000' });
  app = await buildApp(config, { logger: false });
  for (const queue of ['sqrt', 'crawl'] as const) workers.push(await startWorker({ config, queue, logger }));
  site = await startCrawlSite(30);
  site.route('/broken', (_req, res) => res.writeHead(404).end());
  site.route('/start', (_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<a href="/p/1">one</a><a href="/broken">broken</a><a href="/p/2">two</a>');
  });
  await eventually(() => app.jobQueues.ready);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close(5000)));
  await app.close();
  await site.close();
});

describe('worker logs', () => {
  it('says each job succeeded, with its type, id and duration', async () => {
    const reply = await postJson(app, '/v1/jobs/sqrt?wait=10000', { value: 9 });
    const { id } = reply.json<{ id: string }>();
    await eventually(() => lines.some((line) => line.jobId === id), 5000, 'job line');
    const line = lines.find((each) => each.jobId === id)!;
    expect(line).toMatchObject({ level: 30, type: 'sqrt' });
    expect(line.durationMs).toBeGreaterThanOrEqual(0);
    expect(line.msg).toMatch(new RegExp(`^sqrt job ${id} succeeded in \\d+\\.\\d{3}s$`));
  });

  it('says once when a crawl ends, with Scrapy-style totals; its pages are not info lines', async () => {
    const reply = await postJson(app, '/v1/crawls', { url: `${site.url}/start`, maxDepth: 1, sitemap: 'skip' });
    const { id } = reply.json<{ id: string }>();
    await app.inject({ url: `/v1/crawls/${id}?wait=20000` });
    await eventually(() => lines.some((line) => line.crawlId === id), 5000, 'crawl end line');
    const ends = lines.filter((line) => line.crawlId === id);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({
      level: 30,
      state: 'completed',
      fetched: 4,
      failed: 0,
      failedBy: { 'HTTP 404': 1 },
      stopReason: null,
    });
    expect(ends[0].bytes).toBeGreaterThan(0);
    expect(ends[0].msg).toMatch(
      /^crawl completed: 4 pages fetched, 0 failed \(HTTP 404 x1\), 0 skipped, .* pages\/s\)$/,
    );
    expect(lines.filter((line) => String(line.msg).startsWith('crawl job'))).toEqual([]);
  });
});
