import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@crawlfleet/api';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  reachable,
  startCrawlSite,
  type FixtureSite,
  eventually,
  silentLogger,
  testConfig,
  ROOT,
  freePort,
  runCli,
} from '@crawlfleet/testkit';

/* The `crawlfleet` command, run as a user runs it, against a listening API. */

const KEY = 'cli-key-0123456789abcdef';
let app: FastifyInstance;
let workers: RunningWorker[] = [];
let site: FixtureSite;
let base = '';
let dir = '';

beforeAll(async () => {
  const config = testConfig(inject('redisUrl'), {
    API_KEYS: KEY,
    CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
    CRAWL_TIMEOUT_MS: '1000',
    CRAWL_MAX_BYTES: '1048576',
    JOB_ATTEMPTS: '2',
  });
  app = await buildApp(config, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  workers = await Promise.all(
    (['sqrt', 'fibonacci', 'crawl'] as const).map((queue) => startWorker({ config, queue, logger: silentLogger })),
  );
  site = await startCrawlSite(40);
  dir = await mkdtemp(join(tmpdir(), 'crawlfleet-cli-'));
  await eventually(() => app.jobQueues.ready);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close(5000)));
  await app.close();
  await site?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `npx crawlfleet ...args` against this file's API. */
const cli = (args: string[], env: Record<string, string> = { CRAWLFLEET_URL: base, CRAWLFLEET_KEY: KEY }) =>
  runCli(args, env);

describe('crawlfleet CLI', () => {
  it('submits a job and waits for its result, then shows it with status', async () => {
    const run = await cli(['submit', 'sqrt', '{"value": 81}', '--wait']);
    expect(run.code, run.stderr).toBe(0);
    const job = JSON.parse(run.stdout) as { id: string; state: string; result: { sqrt: number } };
    expect(job).toMatchObject({ state: 'completed', result: { value: 81, sqrt: 9 } });
    const shown = await cli(['status', 'sqrt', job.id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: job.id, state: 'completed', result: { sqrt: 9 } });
  });

  it('takes --url and --key as flags too, and submits without waiting', async () => {
    const run = await cli(['--url', base, '--key', KEY, 'submit', 'fibonacci', '{"n": 10}'], {});
    expect(run.code, run.stderr).toBe(0);
    const job = JSON.parse(run.stdout) as { id: string };
    await eventually(
      async () => JSON.parse((await cli(['status', 'fibonacci', job.id])).stdout).state === 'completed',
      10_000,
      'fib job',
    );
    expect(JSON.parse((await cli(['status', 'fibonacci', job.id])).stdout).result).toEqual({
      n: 10,
      value: '55',
      digits: 2,
    });
  });

  it('lists the queues with their workers', async () => {
    const run = await cli(['queues']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.map((line) => line.split(/\s+/)[0])).toEqual(['sqrt', 'fibonacci', 'crawl', 'render', 'webhook']);
    expect(lines[0]).toMatch(/workers=1 .*completed=\d+/);
  });

  it('crawls a site with progress on stderr and writes the pages as NDJSON to --out', async () => {
    const out = join(dir, 'pages.ndjson');
    const run = await cli(['crawl', `${site.url}/`, '--max-depth', '2', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/crawl \S+ started/);
    expect(run.stderr).toMatch(/\[[#-]{30}\] \d+\/\d+ pages/);
    expect(run.stderr).toMatch(/crawl \S+ completed/);
    const pages = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { url: string });
    const paths = pages.map((page) => new URL(page.url).pathname).sort();
    expect(paths).toEqual([...reachable(40, 2).keys()].sort());
  });

  it('crawls with --format markdown: every page record in --out has its markdown', async () => {
    const out = join(dir, 'markdown.ndjson');
    const run = await cli(['crawl', `${site.url}/p/0`, '--max-depth', '1', '--format', 'markdown', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const pages = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { url: string; status: number | null; markdown?: string });
    const fetched = pages.filter((page) => page.status === 200);
    expect(fetched.length).toBeGreaterThan(1);
    for (const page of fetched) expect(page.markdown, page.url).toMatch(/\]\(http:\/\/127\.0\.0\.1:\d+\/p\/\d+\)/);
  });

  it('scrapes one page and prints its markdown, or one link a line with --format links', async () => {
    const markdown = await cli(['scrape', `${site.url}/p/1`]);
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).toContain(`](${site.url}/p/`);
    expect(markdown.stdout).not.toMatch(/^\{/);
    const links = await cli(['scrape', `${site.url}/p/1`, '--format', 'links']);
    expect(links.code, links.stderr).toBe(0);
    const lines = links.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('refuses an --out it cannot write before starting the crawl (exit 2)', async () => {
    const crawlsBefore = (await app.jobQueues.redis.keys(`${app.config.queuePrefix}:crawl:*`)).length;
    const run = await cli(['crawl', `${site.url}/`, '--out', join(dir, 'no-such-dir', 'pages.ndjson')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--out ${join(dir, 'no-such-dir', 'pages.ndjson')}: cannot write it (ENOENT)`);
    expect(run.stderr).not.toContain('started');
    expect((await app.jobQueues.redis.keys(`${app.config.queuePrefix}:crawl:*`)).length).toBe(crawlsBefore);
  });

  it('writes the pages to stdout without --out', async () => {
    const run = await cli(['crawl', `${site.url}/`, '--max-depth', '0']);
    expect(run.code, run.stderr).toBe(0);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).url),
    ).toEqual([`${site.url}/`]);
  });

  it('says when a job failed or the API refused the input (exit 1)', async () => {
    const run = await cli(['submit', 'sqrt', '{"value": -1}']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/400: CF_ERR_VALIDATION: .*value/);
    expect((await cli(['status', 'sqrt', 'no-such-job'])).code).toBe(1);
  });

  it('exits 3 with a clear message when the API is unreachable', async () => {
    const closed = await freePort();
    const run = await cli(['queues'], { CRAWLFLEET_URL: `http://127.0.0.1:${closed}`, CRAWLFLEET_KEY: KEY });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `cannot reach the crawlfleet API at http://127.0.0.1:${closed} (ECONNREFUSED); is it running?`,
    );
  });

  it('exits 4 for a missing or wrong key', async () => {
    const none = await cli(['queues'], { CRAWLFLEET_URL: base });
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('no key given');
    const wrong = await cli(['queues'], { CRAWLFLEET_URL: base, CRAWLFLEET_KEY: 'wrong-key-0123456789' });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('wrong key');
  });

  it('stops quietly, exit 0, when the reader of its output goes away (as `| head` does)', async () => {
    const child = spawn(join(ROOT, 'node_modules/.bin/crawlfleet'), ['queues'], {
      cwd: ROOT,
      env: { ...process.env, CRAWLFLEET_URL: base, CRAWLFLEET_KEY: KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('exits 2 with the usage for a wrong command line', async () => {
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('Usage: crawlfleet');
    expect((await cli(['launch'])).code).toBe(2);
    expect((await cli(['submit', 'sqrt'])).stderr).toContain('usage: crawlfleet submit <type> <json>');
    const notJson = await cli(['submit', 'sqrt', '{value: 1}']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('the input is not JSON');
    expect((await cli(['crawl', 'http://x/', '--max-pages', 'ten'])).stderr).toContain(
      '--max-pages must be a whole number',
    );
    const badUrl = await cli(['--url', 'ftp://example', 'queues']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--url must start with http:// or https://');
    expect((await cli(['--help'])).code).toBe(0);
  });

  it("prints its version and each command's help", async () => {
    const version = await cli(['--version'], {});
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^crawlfleet \d+\.\d+\.\d+\n$/);
    const help = await cli(['help', 'crawl'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('crawl pages <id>');
    expect((await cli(['crawls', '--help'], {})).stdout).toContain('crawls [--state');
    const unknown = await cli(['help', 'launch'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('commands: submit, status, jobs, retry, crawl, crawls, scrape, queues, schedules');
  });

  it('scrapes a page that answers 404: prints the status, exit 1', async () => {
    site.route('/missing', (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<title>Not found</title><p>the error page</p>');
    });
    const run = await cli(['scrape', `${site.url}/missing`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${site.url}/missing answered HTTP 404`);
    expect(run.stdout).not.toContain('the error page');
  });

  it('finds crawls again: crawls, crawl status, crawl pages, crawl cancel', async () => {
    const started = await cli(['crawl', `${site.url}/p/0`, '--max-depth', '1', '--out', join(dir, 'again.ndjson')]);
    expect(started.code, started.stderr).toBe(0);
    const id = /crawl (\S+) started/.exec(started.stderr)![1];
    const list = await cli(['crawls', '--state', 'completed']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n').find((line) => line.startsWith(id))).toMatch(/completed .* fetched=\d+ failed=0 /);
    const shown = await cli(['crawl', 'status', id]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, state: 'completed' });
    const urls = await cli(['crawl', 'pages', id, '--format', 'urls']);
    expect(urls.stdout.trim().split('\n')).toContain(`${site.url}/p/0`);
    const out = join(dir, 'pages.json');
    const json = await cli(['crawl', 'pages', id, '--format', 'json', '--out', out]);
    expect(json.code, json.stderr).toBe(0);
    const records = JSON.parse(await readFile(out, 'utf8')) as { url: string }[];
    expect(records.length).toBe(urls.stdout.trim().split('\n').length);
    const cancelled = await cli(['crawl', 'cancel', id]);
    expect(cancelled.code).toBe(1);
    expect(cancelled.stderr).toContain('409');
    expect((await cli(['crawl', 'status', 'no-such-crawl'])).code).toBe(1);
  });

  it('lists failed jobs and retries one; lists schedules', async () => {
    const failed = await cli([
      'submit',
      'crawl',
      JSON.stringify({ url: `http://127.0.0.1:${await freePort()}/` }),
      '--wait',
    ]);
    expect(failed.code).toBe(1);
    const id = JSON.parse(failed.stdout).id as string;
    const list = await cli(['jobs', 'crawl', '--state', 'failed']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id}  failed .*CF_ERR_FETCH_FAILED`, 'm'));
    const retried = await cli(['retry', 'crawl', id]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stderr).toContain(`crawl job ${id} queued again`);
    const schedules = await cli(['schedules']);
    expect(schedules.code, schedules.stderr).toBe(0);
  });

  it('cancels the crawl on Ctrl-C and says so; exit 1 (cancelled)', async () => {
    const child = spawn(
      join(ROOT, 'node_modules/.bin/crawlfleet'),
      ['crawl', `${site.url}/`, '--max-depth', '5', '--delay-ms', '500', '--out', join(dir, 'interrupted.ndjson')],
      {
        cwd: ROOT,
        env: { ...process.env, CRAWLFLEET_URL: base, CRAWLFLEET_KEY: KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await eventually(() => /\d+\/\d+ pages/.test(stderr), 20_000, 'progress');
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.once('close', resolve));
    const id = /crawl (\S+) started/.exec(stderr)![1];
    expect(stderr).toContain(`cancelling crawl ${id}`);
    expect(stderr).toContain(`crawl ${id} cancelled`);
    expect(code).toBe(1);
    const crawl = (await app.inject({ url: `/v1/crawls/${id}`, headers: { authorization: `Bearer ${KEY}` } })).json();
    expect(crawl.state).toBe('cancelled');
  });
});

describe('the packed CLI', () => {
  it('installs from its tarball without the workspace or the network, and runs from another directory', async () => {
    const work = await mkdtemp(join(tmpdir(), 'crawlfleet-pack-'));
    try {
      const pack = spawnSync('npm', ['pack', '--pack-destination', work, '--workspace', '@crawlfleet/cli'], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(pack.status, pack.stderr).toBe(0);
      const tarball = join(work, pack.stdout.trim().split('\n').at(-1)!);
      const prefix = join(work, 'global');
      const install = spawnSync('npm', ['install', '-g', '--offline', '--prefix', prefix, tarball], {
        cwd: work,
        encoding: 'utf8',
      });
      expect(install.status, install.stderr).toBe(0);
      const elsewhere = await mkdtemp(join(tmpdir(), 'crawlfleet-elsewhere-'));
      // Not spawnSync: the API answering it runs in this process.
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(join(prefix, 'bin', 'crawlfleet'), ['queues', '--url', base, '--key', KEY], {
          cwd: elsewhere,
          env: { PATH: process.env.PATH },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^sqrt\s+workers=/m);
      await rm(elsewhere, { recursive: true, force: true });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 60_000);
});
