import { parseArgs } from 'node:util';
import { VERSION, loadConfig } from '@crawlfleet/core/config';
import { ConfigError } from '@crawlfleet/core/errors';
import { MAX_WAIT_MS } from '@crawlfleet/core/job-types';
import { JOB_KINDS } from '@crawlfleet/tasks/kinds';
import { ApiClient } from './api-client.js';
import { crawl, queues, scrape, status, submit, type Io } from './commands.js';
import { CliError, EXIT } from './errors.js';
import { crawlCancel, crawlPages, crawlStatus, crawls, jobs, retry, schedules } from './manage.js';

/** Each command's help: `crawlfleet help COMMAND` prints it whole; the usage shows the first lines. */
const HELP: Record<string, string> = {
  submit: `submit <type> <json> [--wait[=ms]]   submit a job; --wait prints its result
  Example: crawlfleet submit sqrt '{"value": 2}' --wait
  Exit 1 when the job failed. The types:
${JOB_KINDS.filter((kind) => kind.submitted)
  .map((kind) => `    ${kind.name.padEnd(12)}${kind.summary}`)
  .join('\n')}`,
  status: `status <type> <id>                   show a job (exit 1 when it failed)`,
  jobs: `jobs <type> [--state S]              list jobs of a queue, newest first (S: waiting, active, delayed,
                                       completed, failed, cancelled); webhook lists deliveries`,
  retry: `retry <type> <id>                    put a failed or cancelled job back in its queue`,
  crawl: `crawl <url> [--max-pages N] [--max-depth N] [--scope host|path|domain|any]
              [--include GLOB]... [--exclude GLOB]... [--delay-ms N] [--no-robots]
              [--format markdown|text|html|links]... [--all-content] [--sitemap include|only|skip]
              [--render [--wait-until settled|load|domcontentloaded|networkidle]] [--out FILE]
                                       crawl a site with live progress, then write its pages as NDJSON;
                                       Ctrl-C cancels the crawl (a second Ctrl-C leaves it running);
                                       exit 0 completed, 1 failed or cancelled
  crawl status <id>                    show a crawl (exit 1 when it failed or was cancelled)
  crawl cancel <id>                    cancel a running crawl
  crawl pages <id> [--format ndjson|json|markdown|text|html|links|urls] [--out FILE]
                                       write a crawl's page records (NDJSON by default)`,
  crawls: `crawls [--state running|completed|cancelled|failed]
                                       list your crawls, newest first (id, state, start, counts, seed)`,
  scrape: `scrape <url> [--format markdown|text|html|links] [--all-content]
              [--render [--wait-until settled|load|domcontentloaded|networkidle]]
                                       fetch one page and print it (markdown by default); a 4xx/5xx
                                       answer prints its status and exits 1`,
  queues: `queues                               counts, workers and pause state per queue (webhook included)`,
  schedules: `schedules                            list your schedules: queue, id, period, next run`,
};

export const USAGE = `Usage: crawlfleet [--url URL] [--key KEY] <command>

Commands:
${Object.values(HELP)
  .map((text) => `  ${text.split('\n  Example')[0]}`)
  .join('\n')}
  help <command>                       one command's help
  --version                            the version

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
  state: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
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
    if (values.version) {
      io.out.write(`crawlfleet ${VERSION}\n`);
      return EXIT.ok;
    }
    if (command === 'help' || (values.help && command)) {
      const topic = command === 'help' ? rest[0] : command;
      if (topic === undefined) {
        io.out.write(USAGE);
        return EXIT.ok;
      }
      const text = HELP[topic];
      if (!text)
        throw new CliError(
          EXIT.usage,
          `no command ${JSON.stringify(topic)}; commands: ${Object.keys(HELP).join(', ')}`,
        );
      io.out.write(`Usage: crawlfleet [--url URL] [--key KEY] ${text}\n`);
      return EXIT.ok;
    }
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
      case 'crawls':
        need(0, '[--state S]');
        return await crawls(api, io, values.state);
      case 'jobs':
        need(1, '<type> [--state S]');
        return await jobs(api, io, rest[0], values.state);
      case 'retry':
        need(2, '<type> <id>');
        return await retry(api, io, rest[0], rest[1]);
      case 'schedules':
        need(0, '');
        return await schedules(api, io);
      case 'crawl': {
        const verb = rest[0];
        if (verb === 'status' || verb === 'cancel' || verb === 'pages') {
          if (rest.length !== 2) throw new CliError(EXIT.usage, `usage: crawlfleet crawl ${verb} <id>`);
          if (verb === 'status') return await crawlStatus(api, io, rest[1]);
          if (verb === 'cancel') return await crawlCancel(api, io, rest[1]);
          if ((values.format?.length ?? 0) > 1) throw new CliError(EXIT.usage, 'crawl pages writes one --format');
          return await crawlPages(api, io, rest[1], values.format?.[0], values.out);
        }
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
