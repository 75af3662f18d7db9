import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeService, eventually, TestNetwork, netnsAvailable, type ServiceProcess } from '@crawlfleet/testkit';

/*
 * Three hosts as network namespaces: a broker (Redis with the shipped config,
 * the workers of deploy/broker.yml and a fixture site), a client (the API of
 * deploy/client.yml) and an extra worker host (deploy/worker-host.yml).
 * Commands and environments come from the compose files; the test only adds
 * what a test needs (short locks, private addresses allowed, quiet logs).
 * Traffic stays between these namespaces.
 */

const available = netnsAvailable();
if (!available.ok) process.stdout.write(`two-host test skipped: ${available.why}\n`);

/** A password per Redis user (deploy/redis/acl.sh), and where the broker publishes Redis. */
const PASSWORDS = {
  REDIS_API_PASSWORD: 'two-host-api',
  REDIS_WORKER_PASSWORD: 'two-host-worker',
  REDIS_RENDER_PASSWORD: 'two-host-render',
  REDIS_ADMIN_PASSWORD: 'two-host-admin',
  BROKER_BIND: '10.231.0.1',
};
const BROKER_TO_CLIENT = '10.231.0.1';
const BROKER_TO_EXTRA = '10.231.0.5';
const SITE = `http://${BROKER_TO_EXTRA}:8080`;
/** The client host's API is reachable from other hosts: deploy/client.yml requires keys. */
const API_KEY = 'two-host-key-0123456789';
const TEST_ENV = {
  LOG_LEVEL: 'warn',
  CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
  WORKER_LOCK_DURATION_MS: '4000',
  JOB_ATTEMPTS: '5',
  // Every job here fetches from one fixture host: the fleet-wide per-host cap (4, with leases a killed
  // worker holds for CRAWL_TIMEOUT_MS + 5 s) would measure politeness, which test/politeness.test.ts does.
  CRAWL_HOST_CONCURRENCY: '100',
};

describe.skipIf(!available.ok)('two hosts (network namespaces)', () => {
  const net = new TestNetwork();
  const dir = mkdtempSync(join(tmpdir(), 'crawlfleet-two-hosts-'));
  const hitsFile = join(dir, 'hits.json');
  let broker = '';
  let client = '';
  let extra = '';
  let redis: ServiceProcess;
  const crawlWorkers = new Map<string, ServiceProcess>();

  const api = (method: string, path: string, body?: unknown) => {
    const reply = net.curl(client, method, `http://127.0.0.1:3000${path}`, body, 20, {
      authorization: `Bearer ${API_KEY}`,
    });
    let json = null;
    try {
      json = reply.body ? JSON.parse(reply.body) : null;
    } catch {
      json = { raw: reply.body };
    }
    return { status: reply.status, json, ms: reply.ms };
  };
  const hits = (): Record<string, number> => {
    try {
      return JSON.parse(readFileSync(hitsFile, 'utf8'));
    } catch {
      return {};
    }
  };

  function startRedis(): ServiceProcess {
    const spec = composeService('deploy/broker.yml', 'redis', PASSWORDS);
    const command = spec.command.map((part) => spec.mounts[part] ?? part);
    return net.run(broker, [...command, '--dir', dir], { ...spec.environment, REDIS_ACL_DIR: dir });
  }

  function startWorker(
    host: string,
    file: string,
    service: string,
    brokerAddress: string,
    extraEnv: Record<string, string> = {},
  ) {
    const spec = composeService(file, service, { ...PASSWORDS, BROKER_HOST: brokerAddress });
    // Inside the broker host, compose's service name `redis` is the local Redis.
    const env: Record<string, string> = { ...spec.environment, ...TEST_ENV, ...extraEnv };
    env.REDIS_URL = env.REDIS_URL.replace('@redis:', '@127.0.0.1:');
    return net.run(host, spec.command, env);
  }

  // Few slots per crawl worker, so that a second worker visibly adds capacity.
  const startCrawlWorker = (where: 'broker' | 'extra') =>
    where === 'broker'
      ? startWorker(broker, 'deploy/broker.yml', 'worker-crawl', '', { WORKER_CONCURRENCY: '3' })
      : startWorker(extra, 'deploy/worker-host.yml', 'worker-crawl', BROKER_TO_EXTRA, { WORKER_CONCURRENCY: '3' });

  const workerCount = async (type: string) => {
    const reply = api('GET', '/v1/queues');
    return reply.status === 200 ? reply.json.queues.find((queue: { type: string }) => queue.type === type).workers : -1;
  };

  beforeAll(async () => {
    broker = net.host('broker');
    client = net.host('client');
    extra = net.host('extra');
    net.link(
      { ns: broker, dev: 'to-client', cidr: `${BROKER_TO_CLIENT}/30` },
      { ns: client, dev: 'to-broker', cidr: '10.231.0.2/30' },
    );
    net.link(
      { ns: broker, dev: 'to-extra', cidr: `${BROKER_TO_EXTRA}/30` },
      { ns: extra, dev: 'to-broker', cidr: '10.231.0.6/30' },
    );
    redis = startRedis();
    net.run(
      broker,
      [process.execPath, 'test/two-hosts/serve-site.mjs', BROKER_TO_EXTRA, '8080', '150', '40', hitsFile],
      {},
    );
    for (const service of ['worker-sqrt', 'worker-fibonacci', 'worker-webhook'])
      startWorker(broker, 'deploy/broker.yml', service, '');
    crawlWorkers.set('broker', startCrawlWorker('broker'));
    crawlWorkers.set('extra', startCrawlWorker('extra'));
    const spec = composeService('deploy/client.yml', 'api', {
      ...PASSWORDS,
      BROKER_HOST: BROKER_TO_CLIENT,
      API_KEYS: API_KEY,
    });
    net.run(client, spec.command, { ...spec.environment, ...TEST_ENV });
    try {
      await eventually(
        async () => (await workerCount('crawl')) === 2 && (await workerCount('sqrt')) === 1,
        30_000,
        'API and workers up',
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${net.outputs()}`);
    }
  }, 60_000);

  afterAll(async () => {
    await net.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs jobs POSTed on the client host on the other hosts', () => {
    expect(api('POST', '/v1/jobs/sqrt?wait=10000', { value: 2 }).json.result).toEqual({ value: 2, sqrt: Math.SQRT2 });
    expect(api('POST', '/v1/jobs/fibonacci?wait=10000', { n: 90 }).json.result.value).toBe('2880067194370816120');
    const crawl = api('POST', '/v1/jobs/crawl?wait=10000', { url: `${SITE}/p/1` });
    expect(crawl.json).toMatchObject({ state: 'completed', result: { status: 200, title: 'Page 1' } });
  });

  it('loses no job when a worker is killed with SIGKILL mid-job', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push(api('POST', '/v1/jobs/crawl', { url: `${SITE}/slow?ms=3000&job=${i}` }).json.id);
    await eventually(() => api('GET', '/v1/queues').json.queues[2].counts.active >= 4, 10_000, 'crawl jobs active');
    crawlWorkers.get('broker')!.child.kill('SIGKILL');
    const states = ids.map((id) => api('GET', `/v1/jobs/crawl/${id}?wait=30000`).json.state);
    const completed = states.filter((state) => state === 'completed').length;
    process.stdout.write(
      `worker killed: ${ids.length} accepted, ${completed} completed, ${ids.length - completed} lost\n`,
    );
    expect(completed).toBe(ids.length);
    crawlWorkers.set('broker', startCrawlWorker('broker'));
    await eventually(async () => (await workerCount('crawl')) === 2, 15_000, 'crawl worker back');
  }, 90_000);

  it('answers 503 during a 10 s partition and completes every accepted job after it', async () => {
    const before = [0, 1, 2, 3].map(
      (i) => api('POST', '/v1/jobs/crawl', { url: `${SITE}/slow?ms=2000&p=${i}` }).json.id,
    );
    net.setLink(client, 'to-broker', false);
    const started = Date.now();
    let refused = 0;
    while (Date.now() - started < 10_000) {
      const reply = api('POST', '/v1/jobs/sqrt', { value: 1 });
      expect(reply.status).toBe(503);
      expect(reply.ms).toBeLessThan(6000);
      refused++;
    }
    net.setLink(client, 'to-broker', true);
    await eventually(() => api('GET', '/readyz').status === 200, 30_000, 'API ready after the partition');
    const after = api('POST', '/v1/jobs/sqrt?wait=10000', { value: 9 });
    expect(after.json.result.sqrt).toBe(3);
    const states = before.map((id) => api('GET', `/v1/jobs/crawl/${id}?wait=30000`).json.state);
    const completed = states.filter((s) => s === 'completed').length;
    process.stdout.write(
      `partition: ${refused} POSTs answered 503; ${before.length} accepted before, ${completed} completed\n`,
    );
    expect(states.every((state) => state === 'completed')).toBe(true);
  }, 90_000);

  it('keeps every accepted job across a Redis restart (AOF)', async () => {
    const batch = api(
      'POST',
      '/v1/jobs/sqrt/batch?delay=2000',
      Array.from({ length: 100 }, (_, i) => ({ value: i * i })),
    );
    expect(batch.status).toBe(202);
    const slow = api('POST', '/v1/jobs/crawl', { url: `${SITE}/slow?ms=1500&r=1` }).json.id;
    await new Promise((resolve) => setTimeout(resolve, 1200)); // let appendfsync everysec write
    redis.child.kill('SIGTERM');
    await redis.exited;
    redis = startRedis();
    await eventually(() => api('GET', '/readyz').status === 200, 30_000, 'API ready after the restart');
    const ids: string[] = batch.json.ids;
    const done = ids.filter((id) => api('GET', `/v1/jobs/sqrt/${id}?wait=20000`).json.state === 'completed').length;
    process.stdout.write(`Redis restart: ${ids.length + 1} accepted, ${done} sqrt completed\n`);
    expect(done).toBe(ids.length);
    expect(api('GET', `/v1/jobs/crawl/${slow}?wait=30000`).json.state).toBe('completed');
  }, 120_000);

  it('crawls with workers on two hosts, each page once, faster than with one', async () => {
    const crawl = (seedPage: number) => {
      const started = Date.now();
      const id = api('POST', '/v1/crawls', { url: `${SITE}/p/${seedPage}`, maxDepth: 100, maxPages: 60 }).json.id;
      const done = api('GET', `/v1/crawls/${id}?wait=30000`).json;
      expect(done.state).toBe('completed');
      expect(done.stats.fetched).toBe(60);
      return Date.now() - started;
    };
    // One worker: the extra host's stops (SIGTERM lets it finish first).
    crawlWorkers.get('extra')!.child.kill('SIGTERM');
    await crawlWorkers.get('extra')!.exited;
    await eventually(async () => (await workerCount('crawl')) === 1, 15_000, 'one crawl worker');
    const oneMs = crawl(0);
    crawlWorkers.set('extra', startCrawlWorker('extra'));
    await eventually(async () => (await workerCount('crawl')) === 2, 15_000, 'two crawl workers');
    const before = hits();
    const twoMs = crawl(75);
    const after = hits();
    const fetchedTwice = Object.keys(after).filter(
      (path) => path.startsWith('/p/') && (after[path] ?? 0) - (before[path] ?? 0) > 1,
    );
    process.stdout.write(
      `scaling: 60 pages with one crawl worker ${oneMs} ms, with workers on two hosts ${twoMs} ms\n`,
    );
    expect(fetchedTwice).toEqual([]);
    expect(twoMs).toBeLessThan(oneMs);
  }, 90_000);
});
