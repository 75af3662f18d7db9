import { queueKeyPrefix } from '@crawlfleet/core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@crawlfleet/api';
import type { Config } from '@crawlfleet/core';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  startFixtureSite,
  type FixtureSite,
  eventually,
  silentLogger,
  testConfig,
  postJson,
} from '@crawlfleet/testkit';

/*
 * Whole flows: the API (through inject) and real workers of every queue, in
 * this process, on the run's redis-server; crawls go to a local fixture site.
 */

let app: FastifyInstance;
let config: Config;
let site: FixtureSite;
const workers: RunningWorker[] = [];

beforeAll(async () => {
  site = await startFixtureSite();
  config = testConfig(inject('redisUrl'), { CRAWL_ALLOW_PRIVATE_NETWORKS: 'true', CRAWL_TIMEOUT_MS: '1500' });
  app = await buildApp(config, { logger: false });
  for (const queue of ['sqrt', 'fibonacci', 'crawl'] as const) {
    workers.push(await startWorker({ config, queue, logger: silentLogger }));
  }
  await eventually(() => app.jobQueues.ready, 10_000, 'API Redis connection');
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close(5000)));
  await app.close();
  await site.close();
});

async function submit(type: string, input: unknown, query = 'wait=10000') {
  return postJson(app, `/v1/jobs/${type}?${query}`, input);
}

describe('jobs run by workers', () => {
  it('runs sqrt and stores the result', async () => {
    const reply = await submit('sqrt', { value: 2 });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toMatchObject({
      state: 'completed',
      result: { value: 2, sqrt: Math.SQRT2 },
      attempts: 1,
      error: null,
    });
    expect(Date.parse(reply.json().finishedAt)).toBeGreaterThanOrEqual(Date.parse(reply.json().startedAt));
  });

  it('answers ?wait with the job exactly as a later GET shows it', async () => {
    for (let i = 0; i < 20; i++) {
      const reply = await submit(i % 2 ? 'sqrt' : 'fibonacci', i % 2 ? { value: i } : { n: i });
      expect(reply.statusCode).toBe(200);
      const later = await app.inject({ url: `/v1/jobs/${reply.json().type}/${reply.json().id}` });
      expect(reply.json()).toEqual(later.json());
    }
  });

  it('runs fibonacci in a worker thread, exactly', async () => {
    const reply = await submit('fibonacci', { n: 1000 });
    expect(reply.json().result).toMatchObject({ n: 1000, digits: 209 });
    const prefix =
      '4346655768693745643568852767504062580256466051737178040248172908953655541794905189040387984007925516929' +
      '59225930803226347752096896232398733224711616429964409065331879382989696499285160037044761377951668492288';
    expect(reply.json().result.value.startsWith(prefix)).toBe(true);
  });

  it('runs a fib(1,000,000) while sqrt jobs keep completing', async () => {
    const big = submit('fibonacci', { n: 1_000_000 }, 'wait=20000');
    const small = await submit('sqrt', { value: 81 });
    expect(small.json().result.sqrt).toBe(9);
    const reply = await big;
    expect(reply.json()).toMatchObject({ state: 'completed', result: { digits: 208_988 } });
  });

  it('crawls one page of the local site', async () => {
    const reply = await submit('crawl', { url: `${site.url}/redirect` });
    expect(reply.json()).toMatchObject({
      state: 'completed',
      result: {
        url: `${site.url}/redirect`,
        finalUrl: `${site.url}/moved/here`,
        status: 200,
        title: 'Moved',
        links: [`${site.url}/moved/sibling`, `${site.url}/up`],
      },
    });
  });

  it('GET ?wait returns as soon as the job finishes', async () => {
    const accepted = await submit('sqrt', { value: 49 }, 'delay=300');
    expect(accepted.statusCode).toBe(202);
    const reply = await app.inject({ url: `${accepted.json().url}?wait=10000` });
    expect(reply.json()).toMatchObject({ state: 'completed', result: { sqrt: 7 } });
  });

  it('runs a batch', async () => {
    const inputs = Array.from({ length: 200 }, (_, i) => ({ value: i * i }));
    const reply = await postJson(app, '/v1/jobs/sqrt/batch', inputs);
    const { ids } = reply.json();
    const last = await app.inject({ url: `/v1/jobs/sqrt/${ids[199]}?wait=10000` });
    expect(last.json().result).toEqual({ value: 199 * 199, sqrt: 199 });
  });
});

describe('retries', () => {
  it('retries a transient failure (503) with backoff and then succeeds', async () => {
    const reply = await submit('crawl', { url: `${site.url}/flaky` });
    expect(reply.json()).toMatchObject({ state: 'completed', attempts: 2, result: { status: 200, title: 'Flaky' } });
    expect(site.hits.get('/flaky')).toBe(2);
  });

  it('fails after the last attempt when a server keeps answering 500', async () => {
    const reply = await submit('crawl', { url: `${site.url}/error` }, 'wait=10000&attempts=2');
    expect(reply.json()).toMatchObject({ state: 'failed', attempts: 2, result: null });
    expect(reply.json().error).toMatch(/CF_ERR_UPSTREAM_STATUS|answered HTTP 500/);
    expect(site.hits.get('/error')).toBe(2);
  });

  it.each([
    ['/huge', /CF_ERR_BODY_TOO_LARGE/],
    ['/loop', /CF_ERR_REDIRECT/],
  ])('fails %s at once, without retries', async (path, error) => {
    const reply = await submit('crawl', { url: `${site.url}${path}` }, 'wait=10000&attempts=3');
    expect(reply.json()).toMatchObject({ state: 'failed', attempts: 1 });
    expect(reply.json().error).toMatch(error);
  });

  it('retries a page that hits the deadline', async () => {
    const reply = await submit('crawl', { url: `${site.url}/slow` }, 'wait=15000&attempts=2');
    expect(reply.json()).toMatchObject({ state: 'failed', attempts: 2 });
    expect(reply.json().error).toMatch(/CF_ERR_FETCH_TIMEOUT/);
  });
});

describe('cancelling', () => {
  it('aborts an active crawl job on DELETE', async () => {
    const before = site.hits.get('/slow') ?? 0;
    const accepted = await submit('crawl', { url: `${site.url}/slow?ms=20000` }, 'attempts=3');
    const { url } = accepted.json();
    await eventually(async () => (await app.inject({ url })).json().state === 'active', 5000, 'crawl job active');
    // Active, and its request in flight (not still taking its host's lease).
    await eventually(() => (site.hits.get('/slow') ?? 0) > before, 5000, 'the request in flight');
    const reply = await app.inject({ method: 'DELETE', url });
    expect(reply.statusCode).toBe(202);
    const done = await app.inject({ url: `${url}?wait=5000` });
    expect(done.json().state, JSON.stringify(done.json())).toBe('cancelled');
    expect(done.json().error).toMatch(/CF_ERR_CANCELLED/);
    // Cancelled for good: not retried although attempts=3.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(site.hits.get('/slow')).toBe(before + 1);
  });

  it('answers 409 for an active job whose task cannot be aborted', async () => {
    // A stand-in worker on its own queue prefix holds one sqrt job active.
    const own = testConfig(inject('redisUrl'));
    const ownApp = await buildApp(own, { logger: false });
    await eventually(() => ownApp.jobQueues.ready);
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const connection = new Redis(own.redisUrl, { maxRetriesPerRequest: null });
    const holder = new Worker('sqrt', async () => held.then(() => ({ value: 1, sqrt: 1 })), {
      connection,
      prefix: queueKeyPrefix(own.queuePrefix, 'sqrt'),
    });
    try {
      const accepted = await postJson(ownApp, '/v1/jobs/sqrt', '{"value":1}');
      const { url, id } = accepted.json();
      await eventually(async () => (await ownApp.inject({ url })).json().state === 'active', 5000, 'sqrt job active');
      const reply = await ownApp.inject({ method: 'DELETE', url });
      expect(reply.statusCode).toBe(409);
      expect(reply.json()).toMatchObject({ code: 'CF_ERR_JOB_ACTIVE', message: expect.stringContaining(`"${id}"`) });
    } finally {
      release();
      await holder.close();
      connection.disconnect();
      await ownApp.close();
    }
  });
});

describe('queues with workers', () => {
  it('counts connected workers and completed jobs', async () => {
    const { queues } = (await app.inject({ url: '/v1/queues' })).json();
    // Every job type's queue has its worker here; render (pages in a browser) and webhook have none in this file.
    for (const queue of queues)
      expect(queue.workers).toBeGreaterThanOrEqual(queue.type === 'render' || queue.type === 'webhook' ? 0 : 1);
    expect(queues.map((queue: { type: string }) => queue.type)).toContain('webhook');
    expect(queues[0].counts.completed).toBeGreaterThan(0);
  });
});
