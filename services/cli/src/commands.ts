import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MAX_WAIT_MS } from '@crawlfleet/core/job-types';
import type { ApiClient } from './api-client.js';
import { CliError, EXIT } from './errors.js';
import { progressLine } from './progress.js';

/** Where a command writes: results to `out`, progress and messages to `err`. */
export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

function print(io: Io, value: unknown): void {
  io.out.write(`${JSON.stringify(value, null, 2)}\n`);
}

function parseInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(EXIT.usage, `the input is not JSON: ${text} (example: '{"value": 2}')`);
  }
}

/** submit <type> <json> [--wait]: exit 1 when the job failed. */
export async function submit(
  api: ApiClient,
  io: Io,
  type: string,
  json: string,
  waitMs: number | undefined,
): Promise<number> {
  const query = waitMs ? `?wait=${waitMs}` : '';
  const { status, body } = await api.json('POST', `/v1/jobs/${encodeURIComponent(type)}${query}`, parseInput(json));
  print(io, body);
  if (status === 202 && waitMs)
    io.err.write(`job ${String(body.id)} is not finished yet; see: crawlfleet status ${type} ${String(body.id)}\n`);
  return body.state === 'failed' ? EXIT.failed : EXIT.ok;
}

/** status <type> <id>. */
export async function status(api: ApiClient, io: Io, type: string, id: string): Promise<number> {
  const { body } = await api.json('GET', `/v1/jobs/${encodeURIComponent(type)}/${encodeURIComponent(id)}`);
  print(io, body);
  return body.state === 'failed' ? EXIT.failed : EXIT.ok;
}

/** queues: one line per queue. */
export async function queues(api: ApiClient, io: Io): Promise<number> {
  const { body } = await api.json('GET', '/v1/queues');
  for (const queue of body.queues as {
    type: string;
    paused: boolean;
    workers: number;
    counts: Record<string, number>;
  }[]) {
    const counts = Object.entries(queue.counts)
      .map(([state, count]) => `${state}=${count}`)
      .join(' ');
    io.out.write(`${queue.type.padEnd(10)} workers=${queue.workers} ${queue.paused ? 'PAUSED ' : ''}${counts}\n`);
  }
  return EXIT.ok;
}

/**
 * scrape <url>: one crawl job with `format`, waited for; prints that field of
 * the result (links one a line). Exit 1 when the job failed.
 */
export async function scrape(
  api: ApiClient,
  io: Io,
  url: string,
  format: string,
  onlyMainContent: boolean,
  render: { render?: boolean; renderWaitUntil?: string } = {},
): Promise<number> {
  const request = { url, formats: [format], onlyMainContent, ...render };
  const { status, body } = await api.json('POST', `/v1/jobs/crawl?wait=${MAX_WAIT_MS}`, request);
  if (status === 202) {
    io.err.write(`job ${String(body.id)} is not finished yet; see: crawlfleet status crawl ${String(body.id)}\n`);
    return EXIT.failed;
  }
  const result = body.result as {
    status?: number;
    warning?: string;
    truncated?: boolean;
    [format: string]: unknown;
  } | null;
  if (body.state !== 'completed' || !result) {
    io.err.write(`${typeof body.error === 'string' ? body.error : 'the job failed'}\n`);
    return EXIT.failed;
  }
  const answered = typeof result.status === 'number' ? result.status : null;
  if (answered !== null && answered >= 400) {
    // The error page is not what was asked for: its status is.
    io.err.write(`${url} answered HTTP ${answered}\n`);
    return EXIT.failed;
  }
  const value = result[format];
  io.out.write(`${Array.isArray(value) ? value.join('\n') : typeof value === 'string' ? value : ''}\n`);
  if (result.warning) io.err.write(`warning: ${result.warning}\n`);
  if (result.truncated) io.err.write('warning: cut at CRAWL_MAX_STORED_BYTES\n');
  return EXIT.ok;
}

/**
 * Ctrl-C while a crawl runs: the first asks the API to cancel it (the crawl
 * then ends cancelled and its pages are written as usual), a second leaves
 * it running and exits 130 with its id. @returns what stops listening.
 */
function interruptions(io: Io, api: ApiClient, id: string): () => void {
  let count = 0;
  const onInterrupt = () => {
    count++;
    if (count === 1) {
      io.err.write(`\ncancelling crawl ${id} (Ctrl-C again to leave it running)\n`);
      api.json('DELETE', `/v1/crawls/${id}`).catch((err: Error) => io.err.write(`could not cancel: ${err.message}\n`));
      return;
    }
    io.err.write(`\ncrawl ${id} left running; see: crawlfleet crawl status ${id}\n`);
    process.exit(130);
  };
  process.on('SIGINT', onInterrupt);
  return () => process.off('SIGINT', onInterrupt);
}

/** Creates `--out` before the crawl starts, so a path that cannot be written costs no crawl. */
async function checkOut(outFile: string): Promise<void> {
  try {
    await (await open(outFile, 'w')).close();
  } catch (err) {
    throw new CliError(
      EXIT.usage,
      `--out ${outFile}: cannot write it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

/**
 * crawl <url>: starts a crawl, shows progress on stderr until it ends, then
 * writes every page record as NDJSON to stdout or `outFile`.
 */
export async function crawl(
  api: ApiClient,
  io: Io,
  request: Record<string, unknown>,
  outFile: string | undefined,
): Promise<number> {
  if (outFile !== undefined) await checkOut(outFile);
  const { body } = await api.json('POST', '/v1/crawls', request);
  const id = String(body.id);
  io.err.write(`crawl ${id} started\n`);
  const started = Date.now();
  let crawlState: Record<string, unknown> = {};
  const stop = interruptions(io, api, id);
  try {
    for (;;) {
      crawlState = (await api.json('GET', `/v1/crawls/${id}?wait=1000`)).body;
      const line = progressLine(crawlState.stats as Parameters<typeof progressLine>[0], (Date.now() - started) / 1000);
      io.err.write(io.err.isTTY ? `\r${line}` : `${line}\n`);
      if (crawlState.state !== 'running') break;
    }
  } finally {
    stop();
  }
  io.err.write(`${io.err.isTTY ? '\n' : ''}crawl ${id} ${String(crawlState.state)}\n`);
  const pages = await api.request('GET', `/v1/crawls/${id}/pages`, undefined, 'application/x-ndjson');
  if (pages.body) {
    const target: NodeJS.WritableStream = outFile ? createWriteStream(outFile) : io.out;
    await pipeline(Readable.fromWeb(pages.body), target as Writable, { end: Boolean(outFile) });
    if (outFile) io.err.write(`pages written to ${outFile}\n`);
  }
  return crawlState.state === 'completed' ? EXIT.ok : EXIT.failed;
}
