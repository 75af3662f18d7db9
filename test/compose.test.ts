import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/processes.js';

/* Every compose file passes the compose tool's `config` check (no Docker engine needed). */

const hasCompose =
  spawnSync('docker', ['compose', 'version']).status === 0 || spawnSync('docker-compose', ['version']).status === 0;
if (!hasCompose) process.stdout.write('compose check skipped: no docker compose or docker-compose (Debian: apt-get install docker-compose)\n');

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
