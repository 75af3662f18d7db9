import { parseArgs } from 'node:util';
import { ConfigError, MAX_WAIT_MS, loadConfig } from '@crawlfleet/core/runtime';
import { ApiClient } from './api-client.js';
import { crawl, queues, scrape, status, submit, type Io } from './commands.js';
import { CliError, EXIT } from './errors.js';

export const USAGE = `Usage: crawlfleet [--url URL] [--key KEY] <command>

Commands:
  submit <type> <json> [--wait[=ms]]   submit a job (sqrt, fibonacci, crawl); --wait prints its result
  status <type> <id>                   show a job
  crawl <url> [--max-pages N] [--max-depth N] [--scope host|path|domain|any]
              [--include GLOB]... [--exclude GLOB]... [--delay-ms N] [--no-robots]
              [--format markdown|text|html|links]... [--all-content] [--sitemap include|only|skip]
              [--render [--wait-until load|domcontentloaded|networkidle]] [--out FILE]
                                       crawl a site with live progress, then write its pages as NDJSON
  scrape <url> [--format markdown|text|html|links] [--all-content]
              [--render [--wait-until load|domcontentloaded|networkidle]]
                                       fetch one page and print it (markdown by default); --render: in a browser,
                                       read at --wait-until (default load; networkidle for pages that fetch after)
  queues                               counts, workers and pause state per queue

--url defaults to CRAWLFLEET_URL or http://127.0.0.1:3000; --key to CRAWLFLEET_KEY.
Exit codes: 0 ok, 1 job failed or input refused, 2 usage, 3 API unreachable or unavailable, 4 bad or missing key.
`;

const OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  wait: { type: 'string' },
  out: { type: 'string' },
  'max-pages': { type: 'string' },
  'max-depth': { type: 'string' },
  scope: { type: 'string' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  'delay-ms': { type: 'string' },
  'no-robots': { type: 'boolean' },
  format: { type: 'string', multiple: true },
  'all-content': { type: 'boolean' },
  render: { type: 'boolean' },
  'wait-until': { type: 'string' },
  sitemap: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new CliError(EXIT.usage, `--${name} must be a whole number (got ${JSON.stringify(value)})`);
  return Number(value);
}

/** --render and its --wait-until, as the fields of a crawl job or crawl. */
function renderOptions(values: { render?: boolean; 'wait-until'?: string }) {
  if (values['wait-until'] !== undefined && !values.render)
    throw new CliError(EXIT.usage, '--wait-until needs --render');
  return values.render ? { render: true, renderWaitUntil: values['wait-until'] } : {};
}

function args(argv: string[]) {
  // `--wait` alone means the longest wait; `--wait=5000` a given one.
  const normalized = argv.map((arg) => (arg === '--wait' ? `--wait=${MAX_WAIT_MS}` : arg));
  try {
    return parseArgs({ args: normalized, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(EXIT.usage, (err as Error).message);
  }
}

/** Runs the command line; returns the exit code. */
export async function main(argv: string[], io: Io = { out: process.stdout, err: process.stderr }): Promise<number> {
  try {
    const { values, positionals } = args(argv);
    const [command, ...rest] = positionals;
    if (values.help || !command) {
      io.out.write(USAGE);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const config = loadConfig(
      { cliApiUrl: { flag: '--url', value: values.url }, cliApiKey: { flag: '--key', value: values.key } },
      process.env,
      'cli',
    );
    const api = new ApiClient(config.cliApiUrl.replace(/\/+$/, ''), config.cliApiKey);
    const need = (count: number, shape: string) => {
      if (rest.length !== count) throw new CliError(EXIT.usage, `usage: crawlfleet ${command} ${shape}`);
    };
    switch (command) {
      case 'submit':
        need(2, '<type> <json> [--wait[=ms]]');
        return await submit(api, io, rest[0], rest[1], integer('wait', values.wait));
      case 'status':
        need(2, '<type> <id>');
        return await status(api, io, rest[0], rest[1]);
      case 'queues':
        need(0, '');
        return await queues(api, io);
      case 'crawl': {
        need(1, '<url> [options]');
        const request = Object.fromEntries(
          Object.entries({
            url: rest[0],
            maxPages: integer('max-pages', values['max-pages']),
            maxDepth: integer('max-depth', values['max-depth']),
            scope: values.scope,
            include: values.include,
            exclude: values.exclude,
            delayMs: integer('delay-ms', values['delay-ms']),
            respectRobots: values['no-robots'] ? false : undefined,
            formats: values.format,
            onlyMainContent: values['all-content'] ? false : undefined,
            sitemap: values.sitemap,
            ...renderOptions(values),
          }).filter(([, value]) => value !== undefined),
        );
        return await crawl(api, io, request, values.out);
      }
      case 'scrape': {
        need(1, '<url> [--format markdown|text|html|links] [--all-content] [--render [--wait-until WHEN]]');
        const format = values.format ?? ['markdown'];
        if (format.length !== 1) throw new CliError(EXIT.usage, 'scrape prints one --format');
        return await scrape(api, io, rest[0], format[0], !values['all-content'], renderOptions(values));
      }
      default:
        throw new CliError(EXIT.usage, `unknown command ${JSON.stringify(command)}\n${USAGE}`);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err.write(`crawlfleet: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    if (err instanceof CliError) {
      io.err.write(`crawlfleet: ${err.message}\n`);
      return err.exitCode;
    }
    io.err.write(`crawlfleet: ${(err as Error).message}\n`);
    return EXIT.failed;
  }
}
