import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { WORKER_KINDS, type WorkerKind } from '@crawlfleet/core';
import { workerNodeArgs } from '@crawlfleet/worker';
import { describe, expect, it } from 'vitest';
import { composeService, ROOT } from '@crawlfleet/testkit';

/* Every compose file passes the compose tool's `config` check (no Docker engine needed). */

const hasCompose =
  spawnSync('docker', ['compose', 'version']).status === 0 || spawnSync('docker-compose', ['version']).status === 0;
if (!hasCompose)
  process.stdout.write(
    'compose check skipped: no docker compose or docker-compose (Debian: apt-get install docker-compose)\n',
  );

describe.skipIf(!hasCompose)('compose files', () => {
  it('are valid, and a missing REDIS_PASSWORD is refused', () => {
    const run = spawnSync('bash', ['scripts/check-compose.sh'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const file of ['docker-compose.yml', 'deploy/broker.yml', 'deploy/client.yml', 'deploy/worker-host.yml']) {
      expect(run.stdout).toContain(`compose config ok: ${file}`);
    }
    expect(run.stdout).toContain('missing REDIS_PASSWORD is refused');
  });
});

describe('compose worker services', () => {
  it('start every worker with the Node flags npm start gives it', () => {
    const env = { REDIS_PASSWORD: 'x', BROKER_HOST: 'broker' };
    const files: [string, readonly WorkerKind[]][] = [
      ['docker-compose.yml', WORKER_KINDS],
      ['deploy/broker.yml', WORKER_KINDS],
      ['deploy/worker-host.yml', ['crawl', 'render']],
    ];
    for (const [file, queues] of files) {
      for (const queue of queues) {
        const { command } = composeService(file, `worker-${queue}`, env);
        expect(command, `${file} worker-${queue}`).toEqual([
          'node',
          ...workerNodeArgs(queue),
          'services/worker/dist/main.js',
          '--queue',
          queue,
        ]);
      }
    }
  });
});

describe('compose api services', () => {
  it('pass the API its keys, rate limit and dashboard mode, and publish it on loopback on one host', () => {
    const env = {
      REDIS_PASSWORD: 'x',
      BROKER_HOST: 'broker',
      API_KEYS: 'k'.repeat(20),
      RATE_LIMIT_MAX: '9',
      RATE_LIMIT_WINDOW_MS: '1000',
      DASHBOARD_READ_ONLY: 'true',
    };
    for (const file of ['docker-compose.yml', 'deploy/client.yml']) {
      expect(composeService(file, 'api', env).environment, file).toMatchObject({
        API_KEYS: env.API_KEYS,
        RATE_LIMIT_MAX: '9',
        RATE_LIMIT_WINDOW_MS: '1000',
        DASHBOARD_READ_ONLY: 'true',
      });
    }
    // Unset, they are empty strings (the defaults), never YAML nulls; one host may serve without keys on loopback.
    expect(composeService('docker-compose.yml', 'api', { REDIS_PASSWORD: 'x' }).environment).toMatchObject({
      API_KEYS: '',
      RATE_LIMIT_MAX: '0',
      API_ALLOW_ANONYMOUS: 'true',
    });
    // The client host is reachable from others: no keys, no API.
    expect(() => composeService('deploy/client.yml', 'api', { REDIS_PASSWORD: 'x', BROKER_HOST: 'b' })).toThrow(
      /API_KEYS is required/,
    );
    expect(readFileSync(`${ROOT}docker-compose.yml`, 'utf8')).toContain(
      '"${API_BIND:-127.0.0.1}:${API_PORT:-3000}:3000"',
    );
  });
});

describe('Dockerfile', () => {
  it('copies every workspace manifest before npm ci and builds and ships every workspace but the test kit', () => {
    const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
    const { workspaces } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { workspaces: string[] };
    const build = /RUN npx tsc -b (.*)/.exec(dockerfile)?.[1]?.split(' ') ?? [];
    for (const workspace of workspaces) {
      expect(dockerfile, workspace).toContain(`COPY ${workspace}/package.json ${workspace}/`);
      if (workspace === 'packages/testkit') {
        expect(build).not.toContain(workspace);
        continue;
      }
      expect(build, workspace).toContain(workspace);
      expect(dockerfile, workspace).toContain(`COPY --from=build /app/${workspace}/dist ${workspace}/dist`);
    }
  });
});
