#!/usr/bin/env node
// `npm start`: the whole system on one machine. Starts (or finds) Redis, then
// the API and one worker per queue as child processes, restarts any that
// crash, and stops everything on Ctrl-C or SIGTERM.
import { WORKER_KINDS } from '@crawlfleet/tasks/kinds';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describeRedis, isConfigured, loadConfig, redactRedisUrl } from '@crawlfleet/core';
import { workerNodeArgs } from '@crawlfleet/worker/defaults';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOCAL_REDIS = { host: '127.0.0.1', port: 6379 };

function say(line) {
  process.stdout.write(`[crawlfleet] ${line}\n`);
}

function fail(message) {
  process.stderr.write(`[crawlfleet] ${message}\n`);
  process.exit(1);
}

let config;
try {
  config = loadConfig();
} catch (err) {
  fail(err.message);
}

/** True when something speaking Redis answers PING (a password-protected one answers NOAUTH). */
function redisAnswers({ host, port }) {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

async function startLocalRedis() {
  if (spawnSync('redis-server', ['--version']).error) {
    fail(
      'Nothing answers on 127.0.0.1:6379 and there is no redis-server on PATH.\n' +
        '  Install one (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis),\n' +
        '  or point REDIS_URL at a Redis you have, e.g. REDIS_URL=redis://host:6379 npm start',
    );
  }
  const dir = `${ROOT}.data/redis`;
  mkdirSync(dir, { recursive: true });
  // Its own process group, so Ctrl-C reaches it only through us, after the
  // workers have finished their jobs.
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(LOCAL_REDIS.port),
      '--bind',
      LOCAL_REDIS.host,
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--maxmemory-policy',
      'noeviction',
      '--save',
      '',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], detached: true },
  );
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null)
      fail(`redis-server exited with code ${child.exitCode}; is port ${LOCAL_REDIS.port} taken?`);
    if (await redisAnswers(LOCAL_REDIS)) {
      say(`started a local redis-server on 127.0.0.1:${LOCAL_REDIS.port} (data in .data/redis, AOF on)`);
      return child;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGTERM');
  return fail('redis-server did not answer within 10 s');
}

let redisChild = null;
let redisUrl = config.redisUrl;
if (isConfigured('REDIS_CLUSTER_NODES')) {
  // Every process reads REDIS_CLUSTER_NODES itself; REDIS_URL is then ignored.
  say(`using the Redis Cluster ${describeRedis(config)}`);
} else if (!isConfigured('REDIS_URL')) {
  if (await redisAnswers(LOCAL_REDIS)) {
    say(`using the Redis on 127.0.0.1:${LOCAL_REDIS.port}`);
  } else {
    redisChild = await startLocalRedis();
    redisUrl = `redis://${LOCAL_REDIS.host}:${LOCAL_REDIS.port}`;
  }
} else {
  say(`using REDIS_URL ${redactRedisUrl(redisUrl)}`);
}

// A render worker drives Chromium: started only where there is one.
const hasChromium = existsSync(config.chromiumPath);
if (!hasChromium)
  say(
    `no Chromium at ${config.chromiumPath}: no render worker started, so render: true jobs wait in their queue ` +
      '(Debian: apt-get install chromium, or set CHROMIUM_PATH)',
  );
const services = [
  { name: 'api', nodeArgs: [], entry: 'services/api/dist/server.js', args: [] },
  ...WORKER_KINDS.filter((queue) => queue !== 'render' || hasChromium).map((queue) => ({
    name: `worker-${queue}`,
    nodeArgs: workerNodeArgs(queue),
    entry: 'services/worker/dist/main.js',
    args: ['--queue', queue],
  })),
];

let stopping = false;
const running = new Map();

/** The last line each service wrote to stderr (what a refusal says). */
const lastErrorLine = new Map();

/**
 * How the children log (LOG_FORMAT, unless set): pretty, one coloured line an
 * event, when this terminal shows them; JSON when our output goes to a pipe or
 * file. JSON lines go out as they are (they name their service and queue), so
 * `npm start | pino-pretty` and `| jq` work; other lines get a `[service]` prefix.
 */
const childLogFormat =
  process.env.LOG_FORMAT && process.env.LOG_FORMAT !== 'auto'
    ? process.env.LOG_FORMAT
    : process.stdout.isTTY
      ? 'pretty'
      : 'json';
const childEnv = {
  LOG_FORMAT: childLogFormat,
  ...(childLogFormat === 'pretty' && process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {}),
};

/** The last line a service wrote and how many times in a row (identical lines are folded into one). */
const repeated = new Map();

function prefixLines(stream, name, out) {
  let rest = '';
  stream.on('data', (chunk) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (out === process.stderr && line.trim()) lastErrorLine.set(name, line);
      if (fold(name, out, line)) continue;
      out.write(line.startsWith('{') ? `${line}\n` : `[${name}] ${line}\n`);
    }
  });
}

/** True for a line that repeats the service's last one (ignoring its time): counted, said once when they stop. */
function fold(name, out, line) {
  const key = `${name} ${out === process.stderr ? 2 : 1}`;
  // eslint-disable-next-line no-control-regex
  const bare = line.replace(/\x1b\[[\d;]*m/g, '').replace(/"time":\d+,?|^\[[\d:.]+\] /g, '');
  const last = repeated.get(key);
  if (last && last.bare === bare) {
    last.count++;
    return true;
  }
  if (last && last.count > 0) out.write(`[${name}] (the line before repeated ${last.count} more times)\n`);
  repeated.set(key, { bare, count: 0 });
  return false;
}

/** Starts a service and restarts it when it dies, backing off up to 30 s. */
function supervise(service, delayMs = 1000) {
  const startedAt = Date.now();
  const child = spawn(process.execPath, [...service.nodeArgs, `${ROOT}${service.entry}`, ...service.args], {
    env: { ...process.env, ...childEnv, REDIS_URL: redisUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.set(service.name, child);
  prefixLines(child.stdout, service.name, process.stdout);
  prefixLines(child.stderr, service.name, process.stderr);
  child.once('exit', (code, signal) => {
    running.delete(service.name);
    if (stopping) return;
    // The render worker alone may be unable to run here (Chromium's sandbox): the rest of the system goes on.
    if (code === 2 && service.name === 'worker-render') {
      say(
        `worker-render cannot run here and is not restarted; the other services go on: ${lastErrorLine.get(service.name) ?? ''}`,
      );
      return;
    }
    if (code === 2) fail(`${service.name} refused its configuration (see above); not restarting`);
    const next = Date.now() - startedAt > 60_000 ? 1000 : Math.min(delayMs * 2, 30_000);
    say(`${service.name} exited (${signal ?? `code ${code}`}); restarting in ${delayMs / 1000} s`);
    setTimeout(() => stopping || supervise(service, next), delayMs);
  });
}

async function apiAnswers() {
  try {
    const reply = await fetch(`http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}/readyz`);
    return reply.ok;
  } catch {
    return false;
  }
}

async function stop(signal) {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping the API and workers (active jobs finish first)…`);
  const exits = [...running.values()].map(
    (child) =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  );
  const timeout = new Promise((resolve) => setTimeout(resolve, config.workerShutdownTimeoutMs + 5000));
  await Promise.race([Promise.all(exits), timeout]);
  for (const child of running.values()) child.kill('SIGKILL');
  if (redisChild) {
    await new Promise((resolve) => {
      redisChild.once('exit', resolve);
      redisChild.kill('SIGTERM');
    });
    say('stopped the local redis-server');
  }
  say('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

for (const service of services) supervise(service);

const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
const base = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
for (let i = 0; i < 300 && !stopping; i++) {
  if (await apiAnswers()) {
    say(
      `API listening on ${base} (${services
        .slice(1)
        .map((service) => service.name)
        .join(', ')})`,
    );
    say('try it:');
    process.stdout.write(
      `\n  curl -s -X POST '${base}/v1/jobs/sqrt?wait=5000' -H 'content-type: application/json' -d '{"value": 2}'\n` +
        `  npx crawlfleet submit sqrt '{"value": 2}' --wait${config.port === 3000 ? '' : ` --url ${base}`}\n` +
        `  open ${base}/docs (API) and ${base}/admin/queues (dashboard)\n\n`,
    );
    say('Ctrl-C stops everything');
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
