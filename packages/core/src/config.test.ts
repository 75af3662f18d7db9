import { describe, expect, it } from 'vitest';
import { CONFIG_FIELDS, PROCESS_FIELDS, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      host: '127.0.0.1',
      port: 3000,
      resultTtlSeconds: 86400,
      fibonacciMaxN: 1_000_000,
      crawlAllowPrivateNetworks: false,
      crawlUserAgent: `crawlfleet/${config.version}`,
      workerQueue: undefined,
      workerConcurrency: undefined,
    });
  });

  it('reads a Redis Cluster, its shards and the shards a worker serves', () => {
    const config = loadConfig(
      {},
      { REDIS_CLUSTER_NODES: 'redis-1:7000, 10.0.0.2:7001,[::1]:7002', WORKER_SHARDS: '0,2-4', REDIS_TLS: 'yes' },
    );
    expect(config).toMatchObject({
      redisClusterNodes: [
        { host: 'redis-1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      redisTls: true,
      crawlQueueShards: 8,
      workerShards: [0, 2, 3, 4],
      redisWaitReplicas: 0,
    });
    expect(loadConfig({}, {}).crawlQueueShards).toBe(1);
    expect(loadConfig({}, { REDIS_CLUSTER_NODES: 'a:1', CRAWL_QUEUE_SHARDS: '3' }).crawlQueueShards).toBe(3);
    for (const [name, value] of [
      ['REDIS_CLUSTER_NODES', 'redis-1'],
      ['REDIS_CLUSTER_NODES', 'redis-1:0'],
      ['REDIS_CLUSTER_NODES', ' , '],
      ['WORKER_SHARDS', '3-1'],
      ['WORKER_SHARDS', 'a'],
      ['CRAWL_QUEUE_SHARDS', '65'],
      ['REDIS_WAIT_REPLICAS', '-1'],
    ])
      expect(() => loadConfig({}, { [name]: value }), `${name}=${value}`).toThrow(name);
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {},
      {
        REDIS_URL: 'rediss://:secret@redis.internal:6380',
        PORT: '8080',
        WORKER_QUEUE: 'crawl',
        WORKER_CONCURRENCY: '7',
        RESULT_TTL_SECONDS: '60',
        FIBONACCI_MAX_N: '10',
        CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
        CRAWL_USER_AGENT: 'bot/1',
        API_KEYS: '0123456789abcdef, fedcba9876543210',
      },
    );
    expect(config).toMatchObject({
      redisUrl: 'rediss://:secret@redis.internal:6380',
      port: 8080,
      workerQueue: 'crawl',
      workerConcurrency: 7,
      resultTtlSeconds: 60,
      fibonacciMaxN: 10,
      crawlAllowPrivateNetworks: true,
      crawlUserAgent: 'bot/1',
      apiKeys: [
        { tenant: 'default', key: '0123456789abcdef', bare: true },
        { tenant: 'default', key: 'fedcba9876543210', bare: true },
      ],
    });
  });

  it.each([
    ['PORT', 'abc', /^Invalid configuration: PORT must be an integer from 0 to 65535 \(got "abc"\)$/],
    ['PORT', '70000', /PORT must be an integer/],
    ['REDIS_URL', 'http://x', /REDIS_URL must start with redis:\/\/ or rediss:\/\//],
    ['REDIS_URL', 'not a url', /REDIS_URL must be a URL/],
    ['CRAWLFLEET_URL', 'redis://x:6379', /CRAWLFLEET_URL must start with http:\/\/ or https:\/\//],
    ['WORKER_QUEUE', 'e-mail!', /WORKER_QUEUE must name a job kind/],
    ['WORKER_CONCURRENCY', '0', /WORKER_CONCURRENCY must be an integer from 1/],
    ['RESULT_TTL_SECONDS', '1.5', /RESULT_TTL_SECONDS must be an integer/],
    ['FIBONACCI_MAX_N', '-1', /FIBONACCI_MAX_N must be an integer/],
    ['CRAWL_ALLOW_PRIVATE_NETWORKS', 'maybe', /CRAWL_ALLOW_PRIVATE_NETWORKS must be true or false/],
    [
      'API_KEYS',
      'short,0123456789abcdefgh',
      /^Invalid configuration: API_KEYS entry 1: keys must be at least 16 characters$/,
    ],
    ['API_KEYS', 'acme:0123456789abcdef,0123456789abcdef', /API_KEYS entry 2 repeats the key of API_KEYS entry 1/],
    [
      'TENANTS_FILE',
      '/nonexistent/tenants.json',
      /TENANTS_FILE \/nonexistent\/tenants.json cannot be read as JSON: ENOENT/,
    ],
    ['API_ALLOWED_HOSTS', 'a b', /API_ALLOWED_HOSTS must list up to 100 host names/],
    ['API_KEYS', ' , ', /API_KEYS must list at least one key/],
  ])('stops on %s=%s with one line naming it', (name, value, message) => {
    let error: Error | undefined;
    try {
      loadConfig({}, { [name]: value });
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
    expect((error as { code?: string }).code).toBe('CF_ERR_CONFIG');
  });

  it('lets a command-line flag win and names the flag in errors', () => {
    const flags = { workerQueue: { flag: '--queue', value: 'sqrt' } };
    expect(loadConfig(flags, { WORKER_QUEUE: 'crawl' }).workerQueue).toBe('sqrt');
    expect(() => loadConfig({ workerQueue: { flag: '--queue', value: 'X!' } }, {})).toThrow(
      /--queue must name a job kind/,
    );
  });
});

describe('config per process kind', () => {
  it('reads only the settings of its kind: a bad CLI setting stops no worker, a bad worker setting no CLI', () => {
    const env = { CRAWLFLEET_URL: 'not a url', API_KEYS: 'short', WORKER_CONCURRENCY: 'many' };
    expect(() => loadConfig({}, { ...env, WORKER_CONCURRENCY: '4' }, 'worker')).not.toThrow();
    expect(loadConfig({}, { ...env, WORKER_CONCURRENCY: '4' }, 'worker').workerConcurrency).toBe(4);
    expect(() => loadConfig({}, { WORKER_CONCURRENCY: 'many' }, 'cli')).not.toThrow();
    expect(() => loadConfig({}, { WORKER_CONCURRENCY: 'many' }, 'api')).not.toThrow();
    expect(() => loadConfig({}, { API_KEYS: 'short' }, 'api')).toThrow(/API_KEYS/);
    expect(() => loadConfig({}, { CRAWLFLEET_URL: 'not a url' }, 'cli')).toThrow(/CRAWLFLEET_URL/);
    expect(() => loadConfig({}, env)).toThrow();
  });

  it('names every setting in some kind', () => {
    const named = new Set(Object.values(PROCESS_FIELDS).flat());
    expect(Object.keys(CONFIG_FIELDS).filter((key) => !named.has(key as never))).toEqual([]);
  });
});
