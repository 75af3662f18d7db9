import { WORKER_KINDS, type WorkerKind } from '@crawlfleet/tasks/kinds';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
  it('are valid, and a missing Redis password or BROKER_BIND is refused', () => {
    const run = spawnSync('bash', ['scripts/check-compose.sh'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const file of ['docker-compose.yml', 'deploy/broker.yml', 'deploy/client.yml', 'deploy/worker-host.yml']) {
      expect(run.stdout).toContain(`compose config ok: ${file}`);
    }
    expect(run.stdout).toContain('a missing Redis password or BROKER_BIND is refused');
  });
});

/** What the compose files require: a password per Redis user, the broker's address. */
const REQUIRED = {
  REDIS_API_PASSWORD: 'pa',
  REDIS_WORKER_PASSWORD: 'pw',
  REDIS_RENDER_PASSWORD: 'pr',
  REDIS_ADMIN_PASSWORD: 'px',
  BROKER_HOST: 'broker',
  BROKER_BIND: '10.0.0.5',
};

describe('compose worker services', () => {
  it('start every worker with the Node flags npm start gives it', () => {
    const env = REQUIRED;
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
      ...REQUIRED,
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
    expect(composeService('docker-compose.yml', 'api', REQUIRED).environment).toMatchObject({
      API_KEYS: '',
      RATE_LIMIT_MAX: '0',
      API_ALLOW_ANONYMOUS: 'true',
    });
    // The client host is reachable from others: no keys, no API.
    expect(() => composeService('deploy/client.yml', 'api', REQUIRED)).toThrow(/API_KEYS is required/);
    expect(readFileSync(`${ROOT}docker-compose.yml`, 'utf8')).toContain(
      '"${API_BIND:-127.0.0.1}:${API_PORT:-3000}:3000"',
    );
  });
});

describe('compose Redis users', () => {
  it('give each service its own Redis user, and publish the broker only on BROKER_BIND', () => {
    const env = { ...REQUIRED, API_KEYS: 'k'.repeat(20) };
    const users: [string, string, string][] = [
      ['docker-compose.yml', 'api', 'redis://api:pa@redis:6379'],
      ['docker-compose.yml', 'worker-crawl', 'redis://worker:pw@redis:6379'],
      ['docker-compose.yml', 'worker-render', 'redis://render:pr@redis:6379'],
      ['deploy/broker.yml', 'worker-sqrt', 'redis://worker:pw@redis:6379'],
      ['deploy/broker.yml', 'worker-render', 'redis://render:pr@redis:6379'],
      ['deploy/client.yml', 'api', 'redis://api:pa@broker:6379'],
      ['deploy/worker-host.yml', 'worker-crawl', 'redis://worker:pw@broker:6379'],
      ['deploy/worker-host.yml', 'worker-render', 'redis://render:pr@broker:6379'],
    ];
    for (const [file, service, url] of users)
      expect(composeService(file, service, env).environment.REDIS_URL, `${file} ${service}`).toBe(url);
    for (const file of ['docker-compose.yml', 'deploy/broker.yml'])
      expect(composeService(file, 'redis', env).command, file).toEqual([
        'sh',
        '/usr/local/etc/redis/acl.sh',
        '/usr/local/etc/redis/redis.conf',
        '--maxmemory',
        '1gb',
      ]);
    expect(readFileSync(`${ROOT}deploy/broker.yml`, 'utf8')).toContain('"${BROKER_BIND:?');
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
    // Read at run time beside dist/: the frontier's Lua scripts (every one of them is in the directory).
    expect(dockerfile).toContain('COPY --from=build /app/packages/core/lua packages/core/lua');
    expect(readdirSync(`${ROOT}packages/core/lua`).filter((name) => name.endsWith('.lua')).length).toBeGreaterThan(0);
  });
});

describe('every setting from .env', () => {
  it('reaches every service of every compose file, and .env.example lists each', async () => {
    const { passedVariables, COMPOSE_FILES } = (await import(`${ROOT}scripts/compose-env.mjs`)) as {
      passedVariables: () => string[];
      COMPOSE_FILES: string[];
    };
    const check = spawnSync(process.execPath, ['scripts/compose-env.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const names = passedVariables();
    expect(names).toEqual(expect.arrayContaining(['CRAWL_USER_AGENT', 'WORKER_CONCURRENCY', 'LOG_FORMAT']));
    const env: Record<string, string> = { ...REQUIRED, API_KEYS: 'k'.repeat(20) };
    for (const name of names) env[name] ??= `set-${name}`;
    const services: Record<string, string[]> = {
      'docker-compose.yml': ['api', ...WORKER_KINDS.map((kind) => `worker-${kind}`)],
      'deploy/broker.yml': WORKER_KINDS.map((kind) => `worker-${kind}`),
      'deploy/client.yml': ['api'],
      'deploy/worker-host.yml': ['worker-crawl', 'worker-render'],
    };
    expect(Object.keys(services).sort()).toEqual([...COMPOSE_FILES].sort());
    for (const [file, list] of Object.entries(services))
      for (const service of list) {
        const { environment } = composeService(file, service, env);
        // Each variable is passed; a file may set a few itself (the one-host API may serve without keys).
        const passed = names.filter((name) => environment[name] === env[name]);
        expect(passed.length, `${file} ${service}`).toBeGreaterThanOrEqual(names.length - 2);
        expect(environment.CRAWL_USER_AGENT, `${file} ${service}`).toBe(env.CRAWL_USER_AGENT);
      }
    const example = readFileSync(`${ROOT}.env.example`, 'utf8');
    for (const name of names) expect(example, name).toMatch(new RegExp(`^# ${name}=`, 'm'));
  });
});
