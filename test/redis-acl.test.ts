import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { buildApp } from '@crawlfleet/api';
import { startWorker } from '@crawlfleet/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, eventually, freePort, silentLogger, testApi, testConfig } from '@crawlfleet/testkit';

/*
 * deploy/redis/acl.sh: one Redis user per role, none allowed CONFIG,
 * FLUSHALL and the rest, each kept to the project's keys; the API and a
 * worker run as their users.
 */

const PASSWORDS = { api: 'api-pass-0123456789', worker: 'worker-pass-0123456789' };
let dir: string;
let port: number;
let server: ChildProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crawlfleet-acl-'));
  port = await freePort();
  server = spawn(
    'sh',
    [join(ROOT, 'deploy/redis/acl.sh'), '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
    {
      env: {
        PATH: process.env.PATH,
        REDIS_ACL_DIR: dir,
        REDIS_API_PASSWORD: PASSWORDS.api,
        REDIS_WORKER_PASSWORD: PASSWORDS.worker,
      },
      stdio: 'ignore',
    },
  );
  await eventually(
    async () => {
      const probe = new Redis({
        port,
        username: 'api',
        password: PASSWORDS.api,
        lazyConnect: true,
        retryStrategy: () => null,
      });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    },
    10_000,
    'redis with ACL users',
  );
});
afterAll(() => {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
});

const url = (role: keyof typeof PASSWORDS) => `redis://${role}:${PASSWORDS[role]}@127.0.0.1:${port}`;

describe('Redis ACL users', () => {
  it('refuse CONFIG, FLUSHALL, KEYS, SHUTDOWN and keys outside the prefix; the default user is off', async () => {
    for (const role of ['api', 'worker'] as const) {
      const redis = new Redis(url(role));
      for (const command of [
        ['config', 'get', 'maxmemory'],
        ['flushall'],
        ['flushdb'],
        ['keys', '*'],
        ['shutdown'],
        ['acl', 'list'],
      ])
        await expect(redis.call(command[0], ...command.slice(1)), `${role} ${command[0]}`).rejects.toThrow(/NOPERM/);
      await expect(redis.set('elsewhere', '1')).rejects.toThrow(/NOPERM/);
      expect(await redis.set('crawlfleet:acl-probe', '1')).toBe('OK');
      redis.disconnect();
    }
    const anonymous = new Redis({ port, lazyConnect: true, enableReadyCheck: false, retryStrategy: () => null });
    anonymous.on('error', () => {});
    await anonymous.connect();
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();
  });

  it('are enough for the API and a worker: a job goes through, each on its own user', async () => {
    const env = { QUEUE_PREFIX: 'crawlfleet' };
    const app = await testApi(buildApp, url('api'), env);
    const worker = await startWorker({ config: testConfig(url('worker'), env), queue: 'sqrt', logger: silentLogger });
    try {
      const reply = await app.inject({ method: 'POST', url: '/v1/jobs/sqrt?wait=10000', payload: { value: 49 } });
      expect(reply.json()).toMatchObject({ state: 'completed', result: { sqrt: 7 } });
      expect((await app.inject({ url: '/v1/queues' })).json().queues[0]).toMatchObject({ type: 'sqrt', workers: 1 });
    } finally {
      await worker.close(3000);
      await app.close();
    }
  });
});
