import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { bodyOf, eventually, testConfig, ROOT, startService, type ServiceProcess, freePort } from '@crawlfleet/testkit';

/* `npm start` (scripts/start.mjs): the API and a worker per queue, supervised. */

let launcher: ServiceProcess | undefined;

afterAll(() => {
  // A launcher killed mid-test leaves its services behind unless they go first.
  if (launcher?.child.pid && launcher.child.exitCode === null) {
    spawnSync('pkill', ['-KILL', '-P', String(launcher.child.pid)]);
    launcher.child.kill('SIGKILL');
  }
});

describe('npm start', () => {
  it('starts everything, prints a curl that works, restarts a crashed worker, stops on Ctrl-C', async () => {
    const config = testConfig(inject('redisUrl'));
    const port = await freePort();
    launcher = startService('scripts/start.mjs', [], {
      REDIS_URL: config.redisUrl,
      QUEUE_PREFIX: config.queuePrefix,
      PORT: String(port),
      LOG_LEVEL: 'info',
    });
    const running = launcher;
    await eventually(() => running.output().includes('Ctrl-C stops everything'), 60_000, 'launcher ready');
    const output = running.output();
    // Piped: the services log JSON lines, unprefixed (they name their service and queue), for `| pino-pretty`.
    const readyLines = () =>
      running
        .output()
        .split('\n')
        .filter((line) => line.includes('"worker ready"'));
    await eventually(() => readyLines().length >= 4, 20_000, 'workers ready');
    const ready = readyLines();
    for (const line of ready)
      expect(JSON.parse(line)).toMatchObject({ level: 30, service: 'worker', msg: 'worker ready' });
    expect(ready.map((line) => JSON.parse(line).queue)).toContain('sqrt');
    expect(output).toContain(`API listening on http://127.0.0.1:${port}`);
    const curl = /curl -s -X POST '([^']+)' -H 'content-type: application\/json' -d '([^']+)'/.exec(output);
    expect(curl).not.toBeNull();
    const reply = await fetch(curl![1], {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: curl![2],
    });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({ state: 'completed', result: { value: 2, sqrt: Math.SQRT2 } });
    // The printed CLI line works as printed.
    const cli = /npx crawlfleet submit sqrt '([^']+)' --wait --url (\S+)/.exec(output);
    expect(cli, output).not.toBeNull();
    const { execFileSync } = await import('node:child_process');
    const submitted = execFileSync(
      `${ROOT}node_modules/.bin/crawlfleet`,
      ['submit', 'sqrt', cli![1], '--wait', '--url', cli![2]],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(submitted)).toMatchObject({ state: 'completed', result: { sqrt: Math.SQRT2 } });

    // A worker that dies is started again.
    const queues = async () => (await bodyOf(await fetch(`http://127.0.0.1:${port}/v1/queues`))).queues;
    // A render worker is started where there is a Chromium to drive.
    const renderWorkers = existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium') ? 1 : 0;
    await eventually(
      async () =>
        (await queues()).every(
          (queue: { type: string; workers: number }) => queue.workers === (queue.type === 'render' ? renderWorkers : 1),
        ),
      30_000,
      'one worker per queue',
    );
    const { execSync } = await import('node:child_process');
    execSync(`pkill -KILL -P ${running.child.pid} -f 'queue fibonacci'`);
    await eventually(
      () => running.output().includes('worker-fibonacci exited (SIGKILL); restarting'),
      10_000,
      'restart notice',
    );
    const fib = await fetch(`http://127.0.0.1:${port}/v1/jobs/fibonacci?wait=10000`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n": 10}',
    });
    expect((await bodyOf(fib)).result).toEqual({ n: 10, value: '55', digits: 2 });

    running.child.kill('SIGINT');
    expect(await running.exited).toBe(0);
    expect(running.output()).toContain('[crawlfleet] stopped');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('logs pretty, one line an event, each with its service, when a terminal shows it', async () => {
    const config = testConfig(inject('redisUrl'));
    const port = await freePort();
    // `script` gives the launcher a pseudo-terminal, as a user's shell does.
    const child = spawn('script', ['-qfec', `${process.execPath} ${ROOT}scripts/start.mjs`, '/dev/null'], {
      env: {
        ...process.env,
        REDIS_URL: config.redisUrl,
        QUEUE_PREFIX: config.queuePrefix,
        PORT: String(port),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await eventually(() => output.includes('Ctrl-C stops everything'), 60_000, 'launcher ready');
      await eventually(() => (output.match(/worker ready/g) ?? []).length >= 4, 20_000, 'workers ready');
      // eslint-disable-next-line no-control-regex
      const lines = output.replace(/\x1b\[[\d;]*m/g, '').split(/\r?\n/);
      const ready = lines.filter((line) => line.includes('worker ready'));
      for (const line of ready) expect(line).toMatch(/^\[worker-\w+\] \[\d\d:\d\d:\d\d\.\d{3}\] INFO: worker ready \{/);
      expect(lines.some((line) => line.startsWith('{'))).toBe(false);
      expect(output).toMatch(new RegExp(`${String.fromCharCode(27)}\\[3\\dm`)); // coloured
    } finally {
      process.kill(-child.pid!, 'SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
