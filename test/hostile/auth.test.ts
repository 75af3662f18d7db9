import { randomBytes } from 'node:crypto';
import { buildApp } from '@crawlfleet/api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, testConfig, raw, spellings } from '@crawlfleet/testkit';

/*
 * With API_KEYS set, no spelling of a protected path the router could take
 * gets past the key: percent-encoded, mixed, upper-case, trailing or doubled
 * slashes. Generated, not listed. Through real HTTP.
 */

const KEY = 'k'.repeat(24);
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await buildApp(testConfig(inject('redisUrl'), { API_KEYS: KEY, RATE_LIMIT_MAX: '100000' }), { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
  await eventually(() => app.jobQueues.ready, 10_000, 'Redis connection');
});
afterAll(async () => {
  await app.close();
});

/** Every spelling of the first segment of `path`, with and without a trailing slash, and with a doubled slash. */
function variants(segment: string, rest: string): string[] {
  return spellings(segment, 120).flatMap((spelt) => [
    `/${spelt}${rest}`,
    `/${spelt}${rest}/`,
    `//${spelt}${rest}`,
    `/${spelt}/${rest}`,
  ]);
}

const protectedPaths: [string, string, string][] = [
  ['GET', 'v1', '/queues'],
  ['POST', 'v1', '/jobs/sqrt'],
  ['GET', 'v1', '/crawls/x'],
  ['GET', 'admin', '/queues'],
  ['PUT', 'admin', '/queues/api/queues/sqrt/pause'],
  ['GET', 'admin', '/queues/api/queues'],
];

describe('API keys by route context', () => {
  it.each(protectedPaths)('%s every spelling of /%s%s without a key is 401', async (method, segment, rest) => {
    const paths = variants(segment, rest);
    expect(paths.length).toBeGreaterThan(20);
    const statuses = new Map<number, string[]>();
    for (const path of paths) {
      const headers: Record<string, string> = method === 'GET' ? {} : { 'content-type': 'application/json' };
      const reply = await raw(port, method, path, headers, method === 'GET' ? undefined : '{"value": 1}');
      statuses.set(reply.status, [...(statuses.get(reply.status) ?? []), path]);
    }
    expect([...statuses.keys()], JSON.stringify(Object.fromEntries(statuses))).toEqual([401]);
  });

  it('a wrong or random token is 401 on every spelling too', async () => {
    for (const path of variants('v1', '/queues').slice(0, 40)) {
      const reply = await raw(port, 'GET', path, { authorization: `Bearer ${randomBytes(16).toString('hex')}` });
      expect(reply.status, path).toBe(401);
    }
  });

  it('the key opens the canonical spellings; open routes stay open', async () => {
    expect((await raw(port, 'GET', '/v1/queues', { authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect((await raw(port, 'GET', '/%761/queues', { authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect((await raw(port, 'GET', '/admin/queues/api/queues', { authorization: `Bearer ${KEY}` })).status).toBe(200);
    for (const path of ['/healthz', '/readyz', '/docs/json', '/metrics'])
      expect((await raw(port, 'GET', path)).status, path).toBe(200);
  });
});
