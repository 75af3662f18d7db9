import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, eventually, startFixtureSite, startService, testConfig, type FixtureSite } from '@crawlfleet/testkit';
import { buildApp } from '@crawlfleet/api';
import { startWorker } from '@crawlfleet/worker';
import { pino } from 'pino';
import { inProcessFleet } from './in-process-fleet.js';

/*
 * Two tenants and an operator against one fleet: whatever one tenant made,
 * the other gets exactly what a missing id of that kind gets; lists,
 * idempotency keys and schedule ids are per tenant; quotas answer 429 naming
 * themselves; secrets never leave; the operator surface needs operator rights.
 */

const A = 'a'.repeat(20);
const B = 'b'.repeat(20);
const OPS = 'o'.repeat(20);
const SECRET = `s3cret-${randomUUID()}`;
const HEADER_VALUE = `Bearer receiver-${randomUUID()}`;

let fleet: Awaited<ReturnType<typeof inProcessFleet>>;
let app: FastifyInstance;
let site: FixtureSite;
let redis: Redis;

const as = (key: string) => ({ authorization: `Bearer ${key}` });
function call(key: string, method: InjectOptions['method'], url: string, payload?: unknown) {
  return app.inject({
    method,
    url,
    headers: as(key),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

beforeAll(async () => {
  site = await startFixtureSite('127.0.0.1', {});
  site.route('/page', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hello</p>'));
  site.route('/slow', (_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>slow</p>'), 1500);
  });
  site.route('/fail', (_req, res) => res.writeHead(404).end('no'));
  const tenantsFile = join(tmpdir(), `tenants-${randomUUID()}.json`);
  writeFileSync(
    tenantsFile,
    JSON.stringify({ tenants: { quota: { maxQueuedJobs: 3, maxRunningCrawls: 1, maxSchedules: 1 } } }),
  );
  fleet = await inProcessFleet(
    {
      API_KEYS: `acme:${A},globex:${B},quota:${'q'.repeat(20)}`,
      ADMIN_KEYS: `ops:${OPS}`,
      TENANTS_FILE: tenantsFile,
      CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
      JOB_ATTEMPTS: '1',
    },
    ['sqrt', 'crawl'],
  );
  app = fleet.app;
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await fleet.close();
  await site.close();
  redis.disconnect();
});

/** A's objects of every kind, made once. */
async function objectsOfA() {
  const sqrt = (await call(A, 'POST', '/v1/jobs/sqrt?wait=5000', { value: 9 })).json();
  const fibonacci = (await call(A, 'POST', '/v1/jobs/fibonacci', { n: 10 })).json();
  const crawlJob = (await call(A, 'POST', '/v1/jobs/crawl', { url: `${site.url}/fail` })).json();
  const crawl = (await call(A, 'POST', '/v1/crawls', { url: `${site.url}/page`, maxPages: 1 })).json();
  await call(A, 'GET', `/v1/crawls/${crawl.id}?wait=10000`);
  await call(A, 'GET', `/v1/jobs/crawl/${crawlJob.id}?wait=10000`);
  return { sqrt: sqrt.id, fibonacci: fibonacci.id, crawlJob: crawlJob.id, crawl: crawl.id };
}

describe('ownership', () => {
  it('answers another tenant exactly as a missing id, on every route that takes an id', async () => {
    const ids = await objectsOfA();
    const missing = randomUUID();
    const routes: [InjectOptions['method'], (id: string) => string][] = [
      ['GET', (id) => `/v1/jobs/sqrt/${id}`],
      ['GET', (id) => `/v1/jobs/sqrt/${id}?wait=50`],
      ['DELETE', (id) => `/v1/jobs/sqrt/${id}`],
      ['POST', (id) => `/v1/jobs/sqrt/${id}/retry`],
      ['GET', (id) => `/v1/jobs/sqrt/${id}/events`],
    ];
    const cases: {
      what: string;
      method: InjectOptions['method'];
      url: (id: string) => string;
      id: string;
      body?: unknown;
    }[] = [
      ...routes.map(([method, url]) => ({ what: 'sqrt job', method, url, id: ids.sqrt })),
      { what: 'fibonacci job', method: 'GET', url: (id) => `/v1/jobs/fibonacci/${id}`, id: ids.fibonacci },
      { what: 'fibonacci job', method: 'DELETE', url: (id) => `/v1/jobs/fibonacci/${id}`, id: ids.fibonacci },
      { what: 'crawl job', method: 'GET', url: (id) => `/v1/jobs/crawl/${id}`, id: ids.crawlJob },
      { what: 'crawl job', method: 'POST', url: (id) => `/v1/jobs/crawl/${id}/retry`, id: ids.crawlJob },
      { what: 'crawl', method: 'GET', url: (id) => `/v1/crawls/${id}`, id: ids.crawl },
      { what: 'crawl', method: 'GET', url: (id) => `/v1/crawls/${id}?wait=50`, id: ids.crawl },
      { what: 'crawl pages', method: 'GET', url: (id) => `/v1/crawls/${id}/pages`, id: ids.crawl },
      { what: 'crawl events', method: 'GET', url: (id) => `/v1/crawls/${id}/events`, id: ids.crawl },
      { what: 'crawl', method: 'DELETE', url: (id) => `/v1/crawls/${id}`, id: ids.crawl },
      {
        what: 'recrawlOf',
        method: 'POST',
        url: () => '/v1/crawls',
        id: ids.crawl,
        body: (id: string) => ({ recrawlOf: id }),
      },
    ];
    for (const each of cases) {
      const body = (id: string) =>
        typeof each.body === 'function' ? (each.body as (id: string) => unknown)(id) : undefined;
      const foreign = await call(B, each.method, each.url(each.id), body(each.id));
      const absent = await call(B, each.method, each.url(missing), body(missing));
      const label = `${each.what}: ${each.method} ${each.url('<id>')}`;
      expect(foreign.statusCode, label).toBe(absent.statusCode);
      expect(foreign.statusCode, label).toBe(404);
      expect(foreign.body.replaceAll(each.id, '<id>'), label).toBe(absent.body.replaceAll(missing, '<id>'));
      // A's own key still sees it, and the operator too: B changed nothing.
      if (each.method === 'GET' && !each.url('').includes('events')) {
        expect((await call(A, 'GET', each.url(each.id))).statusCode, label).toBe(200);
        expect((await call(OPS, 'GET', each.url(each.id))).statusCode, label).toBe(200);
      }
    }
    expect((await call(A, 'GET', `/v1/crawls/${ids.crawl}`)).json().state).toBe('completed');
    expect((await call(A, 'GET', `/v1/jobs/sqrt/${ids.sqrt}`)).json()).toMatchObject({
      state: 'completed',
      input: { value: 9 },
    });
  });

  it("lists only the caller's own jobs and crawls; the operator all, with their tenant", async () => {
    const mine = (await call(B, 'POST', '/v1/jobs/sqrt?wait=5000', { value: 4 })).json().id;
    const theirs = (await call(A, 'POST', '/v1/jobs/sqrt?wait=5000', { value: 16 })).json().id;
    const listB = (await call(B, 'GET', '/v1/jobs/sqrt?state=completed')).json();
    expect(listB.items.map((job: { id: string }) => job.id)).toContain(mine);
    expect(listB.items.map((job: { id: string }) => job.id)).not.toContain(theirs);
    expect(listB.items[0].tenant).toBeUndefined();
    const all = (await call(OPS, 'GET', '/v1/jobs/sqrt?state=completed&limit=1000')).json().items;
    expect(all.find((job: { id: string }) => job.id === theirs)).toMatchObject({ tenant: 'acme' });
    const onlyA = (await call(OPS, 'GET', '/v1/jobs/sqrt?state=completed&tenant=acme')).json().items;
    expect(onlyA.every((job: { tenant: string }) => job.tenant === 'acme')).toBe(true);
    const crawlB = (await call(B, 'POST', '/v1/crawls', { url: `${site.url}/page`, maxPages: 1 })).json().id;
    await call(B, 'GET', `/v1/crawls/${crawlB}?wait=10000`);
    const crawlsB = (await call(B, 'GET', '/v1/crawls?state=completed')).json().items.map((c: { id: string }) => c.id);
    expect(crawlsB).toEqual([crawlB]);
    const crawlsAll = (await call(OPS, 'GET', '/v1/crawls')).json().items;
    expect(new Set(crawlsAll.map((c: { tenant: string }) => c.tenant))).toEqual(new Set(['acme', 'globex']));
  });

  it('keeps idempotency keys and schedule ids per tenant', async () => {
    const a = await app.inject({
      method: 'POST',
      url: '/v1/jobs/sqrt',
      headers: { ...as(A), 'idempotency-key': 'k1' },
      payload: { value: 1 },
    });
    const b = await app.inject({
      method: 'POST',
      url: '/v1/jobs/sqrt',
      headers: { ...as(B), 'idempotency-key': 'k1' },
      payload: { value: 2 },
    });
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(a.json().id).not.toBe(b.json().id);
    for (const key of [A, B])
      expect(
        (
          await call(key, 'POST', '/v1/schedules/sqrt', {
            id: 'nightly',
            every: 60_000,
            input: { value: key === A ? 1 : 2 },
          })
        ).statusCode,
      ).toBe(201);
    const ofA = (await call(A, 'GET', '/v1/schedules')).json().schedules;
    expect(ofA).toEqual([expect.objectContaining({ id: 'nightly', tenant: 'acme', input: { value: 1 } })]);
    const ofOps = (await call(OPS, 'GET', '/v1/schedules')).json().schedules;
    expect(ofOps.filter((s: { id: string }) => s.id === 'nightly')).toHaveLength(2);
    expect((await call(B, 'DELETE', '/v1/schedules/sqrt/nightly')).statusCode).toBe(204);
    expect((await call(A, 'GET', '/v1/schedules')).json().schedules).toHaveLength(1);
    expect((await call(A, 'DELETE', '/v1/schedules/sqrt/nightly')).statusCode).toBe(204);
  });

  it("counts a schedule's runs as its tenant's jobs, without giving back what they never took", async () => {
    const queued = `${app.config.queuePrefix}:tenant:{globex}:queued`;
    // The tenant's earlier jobs are done and given back (the workers do so every 200 ms).
    await eventually(async () => Number((await redis.get(queued)) ?? 0) === 0, 5000, 'earlier jobs given back');
    const before = Number((await redis.get(queued)) ?? 0);
    expect(
      (await call(B, 'POST', '/v1/schedules/sqrt', { id: 'often', every: 1000, input: { value: 12321 } })).statusCode,
    ).toBe(201);
    const runs = async () =>
      (await call(B, 'GET', '/v1/jobs/sqrt?state=completed&limit=1000'))
        .json()
        .items.filter((job: { input: { value: number } }) => job.input.value === 12321).length;
    await eventually(async () => (await runs()) >= 2, 10_000, 'two scheduled runs');
    expect((await call(B, 'DELETE', '/v1/schedules/sqrt/often')).statusCode).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the workers give finished jobs back every 200 ms
    expect(Number((await redis.get(queued)) ?? 0)).toBe(before);
    // Runs are the tenant's: the other tenant does not see them.
    const others = (await call(A, 'GET', '/v1/jobs/sqrt?state=completed&limit=1000')).json().items;
    expect(others.filter((job: { input: { value: number } }) => job.input.value === 12321)).toEqual([]);
  });

  it('gives out random, distinct job ids, not counters', async () => {
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const reply = await call(
        OPS,
        'POST',
        '/v1/jobs/sqrt/batch?delay=3600000',
        Array.from({ length: 1000 }, (_, value) => ({ value })),
      );
      ids.push(...reply.json().ids);
    }
    expect(new Set(ids).size).toBe(10_000);
    expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toBe(
      true,
    );
    expect(ids.filter((id) => /^\d+$/.test(id))).toEqual([]);
  });
});

describe('quotas', () => {
  const Q = 'q'.repeat(20);

  it('answer 429 naming the quota, its limit and its use', async () => {
    const queued = await call(Q, 'POST', '/v1/jobs/sqrt/batch?delay=3600000', [
      { value: 1 },
      { value: 2 },
      { value: 3 },
    ]);
    expect(queued.statusCode).toBe(202);
    const over = await call(Q, 'POST', '/v1/jobs/sqrt?delay=3600000', { value: 4 });
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({
      code: 'CF_ERR_QUOTA_EXCEEDED',
      quota: { name: 'TENANT_MAX_QUEUED_JOBS', limit: 3, used: 3 },
    });
    expect(over.json().message).toMatch(/TENANT_MAX_QUEUED_JOBS/);
    // Removing one frees its place.
    expect((await call(Q, 'DELETE', `/v1/jobs/sqrt/${queued.json().ids[0]}`)).statusCode).toBe(204);
    expect((await call(Q, 'POST', '/v1/jobs/sqrt?delay=3600000', { value: 4 })).statusCode).toBe(202);
    const usage = (await call(Q, 'GET', '/v1/usage')).json();
    expect(usage).toMatchObject({ tenant: 'quota', quotasApply: true, queuedJobs: { used: 3, limit: 3 } });

    const first = await call(Q, 'POST', '/v1/crawls', { url: `${site.url}/slow`, maxPages: 1 });
    expect(first.statusCode).toBe(202);
    const second = await call(Q, 'POST', '/v1/crawls', { url: `${site.url}/page`, maxPages: 1 });
    expect(second.json()).toMatchObject({
      code: 'CF_ERR_QUOTA_EXCEEDED',
      quota: { name: 'TENANT_MAX_RUNNING_CRAWLS', limit: 1 },
    });
    // A scheduled run over the quota is skipped and says why.
    const schedule = await call(Q, 'POST', '/v1/schedules/crawls', {
      id: 'often',
      every: 1000,
      crawl: { url: `${site.url}/page` },
    });
    expect(schedule.statusCode).toBe(201);
    await eventually(
      async () => {
        const listed = (await call(Q, 'GET', '/v1/schedules')).json().schedules;
        return /TENANT_MAX_RUNNING_CRAWLS/.test(listed.find((s: { id: string }) => s.id === 'often')?.lastError ?? '');
      },
      10_000,
      'a skipped scheduled run',
    );
    const another = await call(Q, 'POST', '/v1/schedules/sqrt', { id: 'second', every: 60_000, input: { value: 1 } });
    expect(another.json()).toMatchObject({
      code: 'CF_ERR_QUOTA_EXCEEDED',
      quota: { name: 'TENANT_MAX_SCHEDULES', limit: 1, used: 1 },
    });
    expect((await call(Q, 'DELETE', '/v1/schedules/crawls/often')).statusCode).toBe(204);
  });
});

describe('the operator surface', () => {
  it('needs operator rights: 403 for a tenant key on pause and the dashboard', async () => {
    const paused = await call(A, 'POST', '/v1/queues/sqrt/pause');
    expect(paused.statusCode).toBe(403);
    expect(paused.json().code).toBe('CF_ERR_FORBIDDEN');
    expect((await call(A, 'GET', '/admin/queues')).statusCode).toBe(403);
    expect((await call(OPS, 'POST', '/v1/queues/fibonacci/pause')).statusCode).toBe(200);
    expect((await call(OPS, 'POST', '/v1/queues/fibonacci/resume')).statusCode).toBe(200);
  });

  it('lets a browser in with Basic auth: 401 asks for it, an operator key as password opens it', async () => {
    const asked = await app.inject({ url: '/admin/queues' });
    expect(asked.statusCode).toBe(401);
    expect(asked.headers['www-authenticate']).toBe('Basic realm="crawlfleet"');
    const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`anyone:${key}`).toString('base64')}` });
    expect((await app.inject({ url: '/admin/queues', headers: basic(OPS) })).statusCode).toBe(200);
    expect((await app.inject({ url: '/admin/queues', headers: basic(A) })).statusCode).toBe(403);
    const queues = await app.inject({ url: '/admin/queues/api/queues', headers: basic(OPS) });
    expect(queues.json().queues.map((q: { name: string }) => q.name)).toEqual(
      expect.arrayContaining(['sqrt', 'fibonacci', 'crawl', 'render', 'webhook']),
    );
    // Basic auth is the dashboard's alone: the API takes Bearer keys.
    expect((await app.inject({ url: '/v1/queues', headers: basic(OPS) })).statusCode).toBe(401);
  });
});

describe('secrets', () => {
  it('never returns or stores a webhook secret or header value where routes or the dashboard show it', async () => {
    const webhook = {
      url: `${site.url}/hook`,
      events: ['completed'],
      secret: SECRET,
      headers: { 'x-receiver-token': HEADER_VALUE },
    };
    site.route('/hook', (_req, res) => res.writeHead(204).end());
    const scheduled = await call(A, 'POST', '/v1/schedules/crawls', {
      id: 'hooked',
      every: 3_600_000,
      crawl: { url: `${site.url}/page`, maxPages: 1, webhook },
    });
    expect(scheduled.statusCode).toBe(201);
    expect(scheduled.json().crawl.webhook).toEqual({
      url: webhook.url,
      events: ['completed'],
      secret: '***',
      headers: { 'x-receiver-token': '***' },
    });
    const crawl = (await call(A, 'POST', '/v1/crawls', { url: `${site.url}/page`, maxPages: 1, webhook })).json().id;
    const job = (await call(A, 'POST', '/v1/jobs/sqrt', { value: 2, webhook })).json().id;
    await call(A, 'GET', `/v1/crawls/${crawl}?wait=10000`);
    await call(A, 'GET', `/v1/jobs/sqrt/${job}?wait=5000`);
    const prefix = app.config.queuePrefix;
    await eventually(async () => (await redis.keys(`*${prefix}:webhook}:*`)).length > 0, 10_000, 'deliveries');
    // Every BullMQ job and scheduler template of the fleet: none holds the secret or the header value.
    for (const key of await redis.keys(`{${prefix}:*`)) {
      const type = await redis.type(key);
      const values =
        type === 'hash' ? Object.values(await redis.hgetall(key)) : type === 'string' ? [await redis.get(key)] : [];
      for (const value of values) {
        expect(value ?? '', key).not.toContain(SECRET);
        expect(value ?? '', key).not.toContain(HEADER_VALUE);
      }
    }
    for (const url of ['/v1/schedules', `/v1/crawls/${crawl}`, `/v1/jobs/sqrt/${job}`, `/v1/crawls/${crawl}/pages`]) {
      const body = (await call(OPS, 'GET', url)).body;
      expect(body, url).not.toContain(SECRET);
      expect(body, url).not.toContain(HEADER_VALUE);
    }
    expect((await call(A, 'DELETE', '/v1/schedules/crawls/hooked')).statusCode).toBe(204);
  });
});

describe('exposure', () => {
  const server = join(ROOT, 'services/api/dist/server.js');
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [server], {
      env: { PATH: process.env.PATH, REDIS_URL: inject('redisUrl'), PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 10_000,
    });

  it('refuses to serve without keys on an address other machines reach, in one line', () => {
    const refused = run({ HOST: '0.0.0.0' });
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/HOST=0\.0\.0\.0 .*API_KEYS.*API_ALLOW_ANONYMOUS=true/);
  });

  it('says in one line that its port is taken, and exits 2', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as { port: number }).port);
      const refused = run({ PORT: port });
      expect(refused.status).toBe(2);
      expect(refused.stderr.trim()).toBe(`port ${port} on 127.0.0.1 is in use: set PORT to a free one`);
    } finally {
      taken.close();
    }
  });

  it('says Redis is away in one-line logs, never with a stack', () => {
    const away = spawnSync(process.execPath, [server], {
      env: { PATH: process.env.PATH, REDIS_URL: 'redis://127.0.0.1:1', PORT: '0', API_SHUTDOWN_TIMEOUT_MS: '500' },
      encoding: 'utf8',
      timeout: 3000,
    });
    const lines = `${away.stdout}${away.stderr}`.split('\n').filter(Boolean);
    expect(lines.some((line) => line.includes('Redis unreachable'))).toBe(true);
    for (const line of lines) expect(line.startsWith('{'), line).toBe(true);
  });

  it('refuses a key given twice, naming its position and never the key', () => {
    const twice = run({ API_KEYS: `acme:${A}`, ADMIN_KEYS: `ops:${A}` });
    expect(twice.status).toBe(2);
    expect(twice.stderr).toMatch(/ADMIN_KEYS entry 1 repeats the key of API_KEYS entry 1/);
    expect(twice.stderr).not.toContain(A);
  });
});

describe('logs', () => {
  it('never hold a webhook secret or header value, whatever the API and workers log', async () => {
    const lines: string[] = [];
    const stream = { write: (line: string) => void lines.push(line) };
    const env = { API_KEYS: `acme:${A}`, CRAWL_ALLOW_PRIVATE_NETWORKS: 'true', LOG_LEVEL: 'trace' };
    const config = testConfig(inject('redisUrl'), env);
    const logged = await buildApp(config, { logger: { level: 'trace', stream } });
    await eventually(() => logged.jobQueues.ready, 10_000, 'Redis connection');
    const logger = pino({ level: 'trace' }, stream);
    const workers = await Promise.all(
      (['crawl', 'webhook'] as const).map((queue) => startWorker({ config, queue, logger })),
    );
    try {
      site.route('/refuses', (_req, res) => res.writeHead(500).end());
      const webhook = {
        url: `${site.url}/refuses`,
        events: ['page', 'completed'],
        secret: SECRET,
        headers: { 'x-receiver-token': HEADER_VALUE },
      };
      const headers = as(A);
      const crawl = await logged.inject({
        method: 'POST',
        url: '/v1/crawls',
        headers,
        payload: { url: `${site.url}/page`, maxPages: 1, webhook },
      });
      await logged.inject({ url: `/v1/crawls/${crawl.json().id}?wait=10000`, headers });
      // A bad request that carries the secret: its error names the field, not the value.
      const bad = await logged.inject({
        method: 'POST',
        url: '/v1/crawls',
        headers,
        payload: { url: 'nope', webhook },
      });
      expect(bad.statusCode).toBe(400);
      await eventually(() => lines.some((line) => /job failed/.test(line)), 10_000, 'a failed delivery logged');
    } finally {
      await Promise.all(workers.map((worker) => worker.close(3000)));
      await logged.close();
    }
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(HEADER_VALUE);
    }
  });
});

describe('compatibility and the keyless API', () => {
  it('lets bare keys keep operator rights while ADMIN_KEYS is unset, and tenant keys not', async () => {
    const bare = 'bare-key-0123456789abcdef';
    const env = { API_KEYS: `${bare},acme:${A}` };
    const compat = await buildApp(testConfig(inject('redisUrl'), env), { logger: false });
    await eventually(() => compat.jobQueues.ready, 10_000, 'Redis connection');
    try {
      expect(compat.apiKeys.legacyOperators).toBe(1);
      const pause = (key: string) =>
        compat.inject({ method: 'POST', url: '/v1/queues/sqrt/pause', headers: { authorization: `Bearer ${key}` } });
      expect((await pause(bare)).statusCode).toBe(200);
      expect((await pause(A)).statusCode).toBe(403);
      await compat.inject({
        method: 'POST',
        url: '/v1/queues/sqrt/resume',
        headers: { authorization: `Bearer ${bare}` },
      });
      expect(
        (await compat.inject({ url: '/admin/queues', headers: { authorization: `Bearer ${bare}` } })).statusCode,
      ).toBe(200);
      // A job of tenant acme is the bare key's to read: it acts on every tenant's objects, as it did.
      const job = await compat.inject({
        method: 'POST',
        url: '/v1/jobs/sqrt',
        headers: { authorization: `Bearer ${A}` },
        payload: { value: 1 },
      });
      expect(
        (await compat.inject({ url: `/v1/jobs/sqrt/${job.json().id}`, headers: { authorization: `Bearer ${bare}` } }))
          .statusCode,
      ).toBe(200);
    } finally {
      await compat.close();
    }
    // Read until the API listens (it says so after the warning), however long start-up takes under load.
    const warned = startService('services/api/dist/server.js', [], {
      REDIS_URL: inject('redisUrl'),
      PORT: '0',
      API_KEYS: bare,
    });
    try {
      await eventually(() => warned.output().includes('API listening'), 30_000, 'the API to listen');
    } finally {
      warned.child.kill('SIGTERM');
      await warned.exited;
    }
    const warnings = warned
      .output()
      .split('\n')
      .filter((line) => line.includes('ADMIN_KEYS is unset'));
    expect(warnings).toHaveLength(1);
  });

  it('refuses, without keys, a foreign Host and a state change from another site', async () => {
    const open = await buildApp(testConfig(inject('redisUrl'), {}), { logger: false });
    await eventually(() => open.jobQueues.ready, 10_000, 'Redis connection');
    try {
      const post = (headers: Record<string, string>) =>
        open.inject({
          method: 'POST',
          url: '/v1/jobs/sqrt',
          headers: { host: '127.0.0.1:3000', ...headers },
          payload: { value: 1 },
        });
      // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1.
      const rebound = await open.inject({ url: '/v1/queues', headers: { host: 'evil.example:3000' } });
      expect(rebound.statusCode).toBe(403);
      expect(rebound.json()).toMatchObject({ code: 'CF_ERR_FORBIDDEN' });
      expect((await open.inject({ url: '/v1/queues', headers: { host: 'localhost:3000' } })).statusCode).toBe(200);
      // A cross-site form POST (a browser sends Sec-Fetch-Site, or at least Origin).
      expect((await post({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).statusCode).toBe(403);
      expect((await post({ origin: 'https://evil.example' })).statusCode).toBe(403);
      expect((await post({ 'sec-fetch-site': 'same-site' })).statusCode).toBe(403);
      // The same origin, and curl (no such headers), go through.
      expect((await post({ 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:3000' })).statusCode).toBe(202);
      expect((await post({})).statusCode).toBe(202);
      // Reads from another site are not refused (they cannot read the answer anyway).
      expect(
        (await open.inject({ url: '/v1/queues', headers: { host: '127.0.0.1', 'sec-fetch-site': 'cross-site' } }))
          .statusCode,
      ).toBe(200);
    } finally {
      await open.close();
    }
  });
});
