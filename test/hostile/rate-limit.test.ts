import { randomBytes } from 'node:crypto';
import { buildApp } from '@crawlfleet/api';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { eventually, testConfig } from '@crawlfleet/testkit';

/* Random bearer tokens count as their address: they neither escape nor reset the limit. */

const KEY = 'r'.repeat(24);
let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(env: Record<string, string>): Promise<FastifyInstance> {
  app = await buildApp(testConfig(inject('redisUrl'), env), { logger: false });
  await eventually(() => app!.jobQueues.ready, 10_000, 'Redis connection');
  return app;
}

const randomToken = () => ({ authorization: `Bearer ${randomBytes(16).toString('hex')}` });

describe('rate limit', () => {
  it('without API_KEYS, a new random token per request still hits the limit of the address', async () => {
    const api = await start({ RATE_LIMIT_MAX: '5' });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await api.inject({ url: '/v1/queues', headers: randomToken() })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  });

  it('with API_KEYS, random tokens are 401 and then 429; a configured key has its own count', async () => {
    const api = await start({ RATE_LIMIT_MAX: '5', API_KEYS: KEY });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await api.inject({ url: '/v1/queues', headers: randomToken() })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const limited = await api.inject({ url: '/v1/queues', headers: randomToken() });
    expect(limited.json()).toMatchObject({ statusCode: 429, code: 'CF_ERR_RATE_LIMITED' });
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await api.inject({ url: '/v1/queues', headers: { authorization: `Bearer ${KEY}` } })).statusCode).toBe(200);
  });

  it('unknown paths count too, so they are no way around the limit for guessing keys', async () => {
    const api = await start({ RATE_LIMIT_MAX: '3', API_KEYS: KEY });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await api.inject({ url: `/V1/nothing-${i}`, headers: randomToken() })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});

describe('Bull Board read-only mode', () => {
  it('is on without API_KEYS on a non-loopback address: actions get 405, the queue is not paused', async () => {
    const api = await start({ HOST: '0.0.0.0' });
    const reply = await api.inject({ method: 'PUT', url: '/admin/queues/api/queues/sqrt/pause' });
    expect(reply.statusCode).toBe(405);
    expect(await api.jobQueues.queue('sqrt').isPaused()).toBe(false);
    expect((await api.inject({ url: '/admin/queues/api/queues' })).statusCode).toBe(200);
  });

  it('is off on loopback, and DASHBOARD_READ_ONLY=true turns it on anywhere', async () => {
    const open = await start({ HOST: '127.0.0.1' });
    expect((await open.inject({ method: 'PUT', url: '/admin/queues/api/queues/fibonacci/pause' })).statusCode).toBe(
      200,
    );
    expect(await open.jobQueues.queue('fibonacci').isPaused()).toBe(true);
    await open.jobQueues.queue('fibonacci').resume();
    await open.close();
    const locked = await start({ HOST: '127.0.0.1', DASHBOARD_READ_ONLY: 'true' });
    expect((await locked.inject({ method: 'PUT', url: '/admin/queues/api/queues/fibonacci/pause' })).statusCode).toBe(
      405,
    );
  });
});
