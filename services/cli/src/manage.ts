import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { ApiClient } from './api-client.js';
import { CliError, EXIT } from './errors.js';
import type { Io } from './commands.js';

/* Finding and handling what already exists: crawls, jobs, schedules. */

const path = (...parts: string[]) => parts.map(encodeURIComponent).join('/');

function print(io: Io, value: unknown): void {
  io.out.write(`${JSON.stringify(value, null, 2)}\n`);
}

interface Listed {
  items: Record<string, unknown>[];
  next: string | null;
}

/** Every item of a list route, page after page (at most `max`). */
async function listAll(api: ApiClient, route: string, max = 1000): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const query = `${route.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = (await api.json('GET', `${route}${query}`)).body as unknown as Listed;
    items.push(...page.items);
    cursor = page.next;
  } while (cursor && items.length < max);
  return items.slice(0, max);
}

const when = (value: unknown) => (typeof value === 'string' ? value.replace(/\.\d+Z$/, 'Z') : '-');

/** crawls [--state S]: one line a crawl, newest first. */
export async function crawls(api: ApiClient, io: Io, state: string | undefined): Promise<number> {
  const items = await listAll(api, `/v1/crawls${state ? `?state=${encodeURIComponent(state)}` : ''}`);
  for (const crawl of items) {
    const stats = crawl.stats as Record<string, number>;
    io.out.write(
      `${String(crawl.id)}  ${String(crawl.state).padEnd(9)}  ${when(crawl.createdAt)}  ` +
        `fetched=${stats.fetched} failed=${stats.failed}  ${String(crawl.seed)}\n`,
    );
  }
  if (items.length === 0) io.err.write(`no crawls${state ? ` ${state}` : ''}\n`);
  return EXIT.ok;
}

/** crawl status ID: the crawl as JSON; exit 1 when it failed or was cancelled. */
export async function crawlStatus(api: ApiClient, io: Io, id: string): Promise<number> {
  const { body } = await api.json('GET', `/v1/crawls/${path(id)}`);
  print(io, body);
  return body.state === 'failed' || body.state === 'cancelled' ? EXIT.failed : EXIT.ok;
}

/** crawl cancel ID. */
export async function crawlCancel(api: ApiClient, io: Io, id: string): Promise<number> {
  const { body } = await api.json('DELETE', `/v1/crawls/${path(id)}`);
  io.err.write(`crawl ${id} cancelled\n`);
  print(io, body);
  return EXIT.ok;
}

/** What `crawl pages --format` can write. */
export const PAGE_FORMATS = ['ndjson', 'json', 'markdown', 'text', 'html', 'links', 'urls'] as const;

/**
 * crawl pages ID [--format F] [--out FILE]: every record as NDJSON (default)
 * or one JSON array, or one field of each (markdown, text, html: after a
 * `<!-- url -->` line; links: one a line; urls: each page's URL).
 */
export async function crawlPages(
  api: ApiClient,
  io: Io,
  id: string,
  format = 'ndjson',
  outFile?: string,
): Promise<number> {
  if (!(PAGE_FORMATS as readonly string[]).includes(format))
    throw new CliError(EXIT.usage, `--format must be one of ${PAGE_FORMATS.join(', ')} (got ${format})`);
  await api.json('GET', `/v1/crawls/${path(id)}`); // a clear 404 before any output
  const target: NodeJS.WritableStream = outFile ? createWriteStream(outFile) : io.out;
  const write = async (text: string) => {
    if (!target.write(text)) await once(target as Writable, 'drain');
  };
  let cursor: string | null = null;
  let first = true;
  if (format === 'json') await write('[');
  do {
    const query = `?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = (await api.json('GET', `/v1/crawls/${path(id)}/pages${query}`)).body as unknown as Listed;
    for (const record of page.items) {
      if (format === 'ndjson') await write(`${JSON.stringify(record)}\n`);
      else if (format === 'json') await write(`${first ? '' : ','}\n${JSON.stringify(record)}`);
      else if (format === 'urls') await write(`${String(record.url)}\n`);
      else if (format === 'links') {
        const links = Array.isArray(record.links) ? (record.links as string[]) : [];
        if (links.length) await write(`${links.join('\n')}\n`);
      } else if (typeof record[format] === 'string')
        await write(`<!-- ${String(record.url)} -->\n${String(record[format])}\n\n`);
      first = false;
    }
    cursor = page.next;
  } while (cursor);
  if (format === 'json') await write(`${first ? '' : '\n'}]\n`);
  if (outFile) {
    (target as Writable).end();
    await once(target as Writable, 'finish');
    io.err.write(`pages written to ${outFile}\n`);
  }
  return EXIT.ok;
}

/** jobs TYPE [--state S]: one line a job, newest first. */
export async function jobs(api: ApiClient, io: Io, type: string, state: string | undefined): Promise<number> {
  const items = await listAll(api, `/v1/jobs/${path(type)}${state ? `?state=${encodeURIComponent(state)}` : ''}`);
  for (const job of items) {
    const error = typeof job.error === 'string' ? `  ${job.error.split('\n')[0].slice(0, 120)}` : '';
    io.out.write(`${String(job.id)}  ${String(job.state).padEnd(9)}  ${when(job.createdAt)}${error}\n`);
  }
  if (items.length === 0) io.err.write(`no ${type} jobs${state ? ` ${state}` : ''}\n`);
  return EXIT.ok;
}

/** retry TYPE ID: a failed (or cancelled) job back in its queue. */
export async function retry(api: ApiClient, io: Io, type: string, id: string): Promise<number> {
  const { body } = await api.json('POST', `/v1/jobs/${path(type, id)}/retry`);
  io.err.write(`${type} job ${id} queued again\n`);
  print(io, body);
  return EXIT.ok;
}

/** schedules: one line a schedule. */
export async function schedules(api: ApiClient, io: Io): Promise<number> {
  const { body } = await api.json('GET', '/v1/schedules');
  const list = body.schedules as {
    type: string;
    id: string;
    cron: string | null;
    every: number | null;
    next: string | null;
    lastError?: string | null;
  }[];
  for (const schedule of list) {
    const every = schedule.cron ?? (schedule.every === null ? '-' : `every ${schedule.every} ms`);
    const last = schedule.lastError ? `  last run skipped: ${schedule.lastError}` : '';
    io.out.write(`${schedule.type.padEnd(10)} ${schedule.id}  ${every}  next=${when(schedule.next)}${last}\n`);
  }
  if (list.length === 0) io.err.write('no schedules\n');
  return EXIT.ok;
}
