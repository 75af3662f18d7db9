import { ConfigError } from './errors.js';
import { checkUniqueKeys, keyEntries, tenantsFile, type KeyEntry } from './tenant-config.js';

/*
 * The one place that reads process.env. Each setting is declared once, with
 * its variable, its default and its rule; loadConfig() turns the environment
 * into a typed object at start and every other module receives that object.
 */

type Parser<T> = (raw: string, name: string) => T;

interface Field<T, D extends string | undefined = string | undefined> {
  env: string;
  /** Used when the variable is unset or empty; `undefined` means optional. */
  default: D;
  parse: Parser<T>;
}

function field<T, D extends string | undefined>(env: string, defaultValue: D, parse: Parser<T>): Field<T, D> {
  return { env, default: defaultValue, parse };
}

function fail(name: string, rule: string, raw: string): never {
  throw new ConfigError(`${name} ${rule} (got ${JSON.stringify(raw)})`);
}

function integer(min: number, max: number): Parser<number> {
  return (raw, name) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      fail(name, `must be an integer from ${min} to ${max}`, raw);
    }
    return value;
  };
}

function boolean(raw: string, name: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  return fail(name, 'must be true or false', raw);
}

function text(raw: string): string {
  return raw.trim();
}

/** A URL with one of `protocols`; `example` shows the expected form. */
function urlOf(protocols: string[], example: string): Parser<string> {
  return (raw, name) => {
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      return fail(name, `must be a URL like ${example}`, raw);
    }
    if (!protocols.includes(url.protocol))
      fail(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`, raw);
    return url.toString();
  };
}

const redisUrl = urlOf(['redis:', 'rediss:'], 'redis://host:6379 or rediss://:password@host:6380');
const httpUrl = urlOf(['http:', 'https:'], 'http://host:3000');

/** A kind's name; which kinds exist is the registry's to say (the worker checks it, `@crawlfleet/tasks/kinds`). */
function workerKind(raw: string, name: string): string {
  const value = raw.trim();
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(value)) fail(name, 'must name a job kind (a-z, 0-9, -)', raw);
  return value;
}

function prefix(raw: string, name: string): string {
  const value = raw.trim();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
    fail(name, 'must be 1 to 64 letters, digits, ".", "_" or "-"', raw);
  }
  return value;
}

/** host:port,host:port,… (IPv6 in brackets: [::1]:7000). */
function nodeList(raw: string, name: string): { host: string; port: number }[] {
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0 || items.length > 100) fail(name, 'must list 1 to 100 host:port nodes, comma-separated', raw);
  return items.map((item) => {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/.exec(item);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) fail(name, 'must list host:port nodes like redis-1:7000,redis-2:7000', raw);
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  });
}

/** Shard numbers: 0,2,5 or ranges 0-3 (at most 64 of them). */
function shardList(raw: string, name: string): number[] {
  const shards = new Set<number>();
  for (const item of raw.split(',').map((part) => part.trim())) {
    const range = /^(\d{1,2})(?:-(\d{1,2}))?$/.exec(item);
    const [from, to] = [Number(range?.[1]), Number(range?.[2] ?? range?.[1])];
    if (!range || from > to) fail(name, 'must list shard numbers like 0,1 or 0-3', raw);
    for (let shard = from; shard <= to; shard += 1) shards.add(shard);
  }
  return [...shards].sort((a, b) => a - b);
}

/** Host names, comma-separated (API_ALLOWED_HOSTS), lowercased. */
function hostList(raw: string, name: string): string[] {
  const hosts = raw
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter(Boolean);
  if (hosts.length > 100 || hosts.some((host) => !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})$/.test(host)))
    fail(name, 'must list up to 100 host names like api.example.org, comma-separated', raw);
  return hosts;
}

/** RENDER_SANDBOX: `required`, `auto` or `off` (`true` and `false` stand for required and off). */
function sandboxMode(raw: string, name: string): 'required' | 'auto' | 'off' {
  const value = raw.trim().toLowerCase();
  if (value === 'required' || value === 'true') return 'required';
  if (value === 'off' || value === 'false') return 'off';
  if (value === 'auto') return 'auto';
  return fail(name, 'must be required, auto or off', raw);
}

/** A system user's name (RENDER_USER). */
function userName(raw: string, name: string): string {
  const value = raw.trim();
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(value)) fail(name, 'must be a user name like nobody', raw);
  return value;
}

/** How logs are written: JSON lines, pretty one-liners, or pretty when stdout is a terminal (auto). */
function logFormat(raw: string, name: string): 'json' | 'pretty' | 'auto' {
  const value = raw.trim().toLowerCase();
  if (value !== 'json' && value !== 'pretty' && value !== 'auto')
    return fail(name, 'must be json, pretty or auto', raw);
  return value;
}

function logLevel(raw: string, name: string): string {
  const value = raw.trim().toLowerCase();
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(value)) {
    fail(name, 'must be one of fatal, error, warn, info, debug, trace, silent', raw);
  }
  return value;
}

/** Every setting: its variable, default and rule. */
export const CONFIG_FIELDS = {
  redisUrl: field('REDIS_URL', 'redis://127.0.0.1:6379', redisUrl),
  redisClusterNodes: field('REDIS_CLUSTER_NODES', undefined, nodeList),
  redisPassword: field('REDIS_PASSWORD', undefined, text),
  redisTls: field('REDIS_TLS', 'false', boolean),
  redisWaitReplicas: field('REDIS_WAIT_REPLICAS', '0', integer(0, 16)),
  crawlQueueShards: field('CRAWL_QUEUE_SHARDS', undefined, integer(1, 64)),
  queuePrefix: field('QUEUE_PREFIX', 'crawlfleet', prefix),
  host: field('HOST', '127.0.0.1', text),
  port: field('PORT', '3000', integer(0, 65535)),
  logLevel: field('LOG_LEVEL', 'info', logLevel),
  logFormat: field('LOG_FORMAT', 'auto', logFormat),
  apiKeys: field('API_KEYS', undefined, keyEntries),
  adminKeys: field('ADMIN_KEYS', undefined, keyEntries),
  apiAllowAnonymous: field('API_ALLOW_ANONYMOUS', 'false', boolean),
  apiAllowedHosts: field('API_ALLOWED_HOSTS', undefined, hostList),
  tenants: field('TENANTS_FILE', undefined, tenantsFile),
  tenantMaxRunningCrawls: field('TENANT_MAX_RUNNING_CRAWLS', '20', integer(0, 1_000_000)),
  tenantMaxQueuedJobs: field('TENANT_MAX_QUEUED_JOBS', '100000', integer(0, 1_000_000_000)),
  tenantMaxSchedules: field('TENANT_MAX_SCHEDULES', '100', integer(0, 1_000_000)),
  tenantMaxPagesPerDay: field('TENANT_MAX_PAGES_PER_DAY', '0', integer(0, 1_000_000_000)),
  rateLimitMax: field('RATE_LIMIT_MAX', '0', integer(0, 100_000_000)),
  rateLimitWindowMs: field('RATE_LIMIT_WINDOW_MS', '60000', integer(100, 86_400_000)),
  dashboardReadOnly: field('DASHBOARD_READ_ONLY', undefined, boolean),
  apiShutdownTimeoutMs: field('API_SHUTDOWN_TIMEOUT_MS', '10000', integer(0, 3_600_000)),
  workerQueue: field('WORKER_QUEUE', undefined, workerKind),
  workerConcurrency: field('WORKER_CONCURRENCY', undefined, integer(1, 10000)),
  workerShards: field('WORKER_SHARDS', undefined, shardList),
  workerShutdownTimeoutMs: field('WORKER_SHUTDOWN_TIMEOUT_MS', '30000', integer(0, 3_600_000)),
  workerMetricsPort: field('WORKER_METRICS_PORT', undefined, integer(0, 65535)),
  workerMetricsHost: field('WORKER_METRICS_HOST', '127.0.0.1', text),
  workerLockDurationMs: field('WORKER_LOCK_DURATION_MS', '30000', integer(1000, 3_600_000)),
  resultTtlSeconds: field('RESULT_TTL_SECONDS', '86400', integer(1, 31_536_000)),
  jobAttempts: field('JOB_ATTEMPTS', '3', integer(1, 100)),
  fibonacciMaxN: field('FIBONACCI_MAX_N', '1000000', integer(0, 50_000_000)),
  crawlAllowPrivateNetworks: field('CRAWL_ALLOW_PRIVATE_NETWORKS', 'false', boolean),
  crawlUserAgent: field('CRAWL_USER_AGENT', undefined, text),
  crawlTimeoutMs: field('CRAWL_TIMEOUT_MS', '15000', integer(100, 600_000)),
  crawlConnectTimeoutMs: field('CRAWL_CONNECT_TIMEOUT_MS', '5000', integer(100, 600_000)),
  crawlMaxBytes: field('CRAWL_MAX_BYTES', String(5 * 1024 * 1024), integer(1024, 1024 * 1024 * 1024)),
  crawlMaxRedirects: field('CRAWL_MAX_REDIRECTS', '5', integer(0, 50)),
  crawlMaxLinksPerPage: field('CRAWL_MAX_LINKS_PER_PAGE', '5000', integer(1, 1_000_000)),
  crawlMaxUrlLength: field('CRAWL_MAX_URL_LENGTH', '8192', integer(256, 65_536)),
  crawlRobotsMaxRules: field('CRAWL_ROBOTS_MAX_RULES', '2000', integer(1, 100_000)),
  crawlMaxLinkMs: field('CRAWL_MAX_LINK_MS', '1000', integer(10, 600_000)),
  crawlMaxRobotsPerPage: field('CRAWL_MAX_ROBOTS_PER_PAGE', '20', integer(1, 10_000)),
  crawlSweepIntervalMs: field('CRAWL_SWEEP_INTERVAL_MS', '30000', integer(500, 3_600_000)),
  crawlMaxDelayMs: field('CRAWL_MAX_DELAY_MS', '60000', integer(0, 3_600_000)),
  crawlMaxStoredBytes: field('CRAWL_MAX_STORED_BYTES', String(1024 * 1024), integer(1024, 512 * 1024 * 1024)),
  crawlMaxStoredBytesPerCrawl: field(
    'CRAWL_MAX_STORED_BYTES_PER_CRAWL',
    String(512 * 1024 * 1024),
    integer(0, 1024 * 1024 * 1024 * 1024),
  ),
  crawlMaxContentDepth: field('CRAWL_MAX_CONTENT_DEPTH', '512', integer(1, 5000)),
  crawlMaxContentElements: field('CRAWL_MAX_CONTENT_ELEMENTS', '100000', integer(1, 10_000_000)),
  crawlMaxContentMs: field('CRAWL_MAX_CONTENT_MS', '2000', integer(10, 600_000)),
  crawlSitemapMaxUrls: field('CRAWL_SITEMAP_MAX_URLS', '50000', integer(0, 10_000_000)),
  webhookTimeoutMs: field('WEBHOOK_TIMEOUT_MS', '10000', integer(100, 600_000)),
  webhookMaxBytes: field('WEBHOOK_MAX_BYTES', String(256 * 1024), integer(1024, 64 * 1024 * 1024)),
  webhookHostConcurrency: field('WEBHOOK_HOST_CONCURRENCY', '4', integer(1, 10_000)),
  tenantMaxWebhookBytesPerDay: field(
    'TENANT_MAX_WEBHOOK_BYTES_PER_DAY',
    String(10 * 1024 * 1024 * 1024),
    integer(0, 1024 * 1024 * 1024 * 1024 * 1024),
  ),
  tenantMaxWebhooksInFlight: field('TENANT_MAX_WEBHOOKS_IN_FLIGHT', '1000', integer(1, 1_000_000)),
  chromiumPath: field('CHROMIUM_PATH', '/usr/bin/chromium', text),
  renderRecyclePages: field('RENDER_RECYCLE_PAGES', '200', integer(1, 1_000_000)),
  /** Chromium's sandbox: required (start without it never), auto (without it where it cannot start), off. */
  renderSandbox: field('RENDER_SANDBOX', 'required', sandboxMode),
  /** Who Chromium runs as when the render worker is root (Chromium refuses its sandbox as root). */
  renderUser: field('RENDER_USER', 'nobody', userName),
  renderMaxPageMb: field('RENDER_MAX_PAGE_MB', '512', integer(16, 65_536)),
  renderSettleMaxMs: field('RENDER_SETTLE_MAX_MS', '3000', integer(0, 60_000)),
  crawlHostConcurrency: field('CRAWL_HOST_CONCURRENCY', '4', integer(1, 10_000)),
  crawlMaxRetryAfterMs: field('CRAWL_MAX_RETRY_AFTER_MS', '600000', integer(0, 86_400_000)),
  crawlHostFailureLimit: field('CRAWL_HOST_FAILURE_LIMIT', '10', integer(1, 10_000)),
  maxDelayMs: field('MAX_DELAY_MS', String(30 * 86_400_000), integer(0, 10 * 365 * 86_400_000)),
  maxStreamsPerClient: field('MAX_STREAMS_PER_CLIENT', '20', integer(1, 100_000)),
  maxWaitsPerClient: field('MAX_WAITS_PER_CLIENT', '200', integer(1, 100_000)),
  cliApiUrl: field('CRAWLFLEET_URL', 'http://127.0.0.1:3000', httpUrl),
  cliApiKey: field('CRAWLFLEET_KEY', undefined, text),
} as const;

type Fields = typeof CONFIG_FIELDS;

const COMMON = [
  'tenants',
  'tenantMaxRunningCrawls',
  'tenantMaxPagesPerDay',
  'redisUrl',
  'redisClusterNodes',
  'redisPassword',
  'redisTls',
  'crawlQueueShards',
  'queuePrefix',
  'logLevel',
  'logFormat',
  'resultTtlSeconds',
  'jobAttempts',
  'fibonacciMaxN',
] as const;

/**
 * The settings each kind of process reads from its environment; the others
 * keep their defaults there, so a bad variable of one kind (a CLI URL, an API
 * key) never stops a process of another. `all` (the launcher) reads every one.
 */
export const PROCESS_FIELDS = {
  api: [
    ...COMMON,
    'host',
    'port',
    'apiKeys',
    'adminKeys',
    'apiAllowAnonymous',
    'apiAllowedHosts',
    'tenantMaxQueuedJobs',
    'tenantMaxSchedules',
    'rateLimitMax',
    'rateLimitWindowMs',
    'dashboardReadOnly',
    'maxStreamsPerClient',
    'maxWaitsPerClient',
    'maxDelayMs',
    'apiShutdownTimeoutMs',
    'redisWaitReplicas',
    'crawlMaxDelayMs',
    'crawlAllowPrivateNetworks',
  ],
  worker: [
    ...COMMON,
    'workerQueue',
    'workerConcurrency',
    'workerShards',
    'workerShutdownTimeoutMs',
    'workerMetricsPort',
    'workerMetricsHost',
    'workerLockDurationMs',
    'crawlAllowPrivateNetworks',
    'crawlUserAgent',
    'crawlTimeoutMs',
    'crawlConnectTimeoutMs',
    'crawlMaxBytes',
    'crawlMaxRedirects',
    'crawlMaxLinksPerPage',
    'crawlMaxUrlLength',
    'crawlRobotsMaxRules',
    'crawlMaxLinkMs',
    'crawlMaxRobotsPerPage',
    'crawlSweepIntervalMs',
    'crawlMaxDelayMs',
    'crawlMaxStoredBytes',
    'crawlMaxStoredBytesPerCrawl',
    'crawlMaxContentDepth',
    'crawlMaxContentElements',
    'crawlMaxContentMs',
    'crawlSitemapMaxUrls',
    'webhookTimeoutMs',
    'webhookMaxBytes',
    'webhookHostConcurrency',
    'tenantMaxWebhookBytesPerDay',
    'tenantMaxWebhooksInFlight',
    'crawlHostConcurrency',
    'crawlMaxRetryAfterMs',
    'crawlHostFailureLimit',
    'chromiumPath',
    'renderRecyclePages',
    'renderSandbox',
    'renderUser',
    'renderMaxPageMb',
    'renderSettleMaxMs',
  ],
  cli: ['cliApiUrl', 'cliApiKey', 'logLevel'],
} as const satisfies Record<string, readonly (keyof typeof CONFIG_FIELDS)[]>;

/** A kind of crawlfleet process, by the settings it reads (see {@link PROCESS_FIELDS}). */
export type ProcessKind = keyof typeof PROCESS_FIELDS | 'all';
type Parsed<F> = F extends Field<infer T, string | undefined> ? T : never;

/** The validated configuration of a crawlfleet process. */
export type Config = {
  readonly [K in keyof Fields]: Fields[K]['default'] extends string ? Parsed<Fields[K]> : Parsed<Fields[K]> | undefined;
} & { readonly crawlUserAgent: string; readonly crawlQueueShards: number; readonly version: string };

/** The version sent in the default user agent. */
export const VERSION = '0.1.0';

/** Values given on a command line, by setting, with the flag that gave them. */
export type ConfigFlags = Partial<Record<keyof Fields, { flag: string; value: string | undefined }>>;

/**
 * Reads and validates the environment once, the settings of `kind` only (the
 * rest at their defaults). A flag given on the command line wins over its
 * variable and is named in the error instead.
 * @throws ConfigError naming the first invalid variable or flag.
 */
export function loadConfig(
  flags: ConfigFlags = {},
  env: Record<string, string | undefined> = process.env,
  kind: ProcessKind = 'all',
): Config {
  const out: Record<string, unknown> = {};
  const reads = kind === 'all' ? null : new Set<string>(PROCESS_FIELDS[kind]);
  for (const [key, spec] of Object.entries(CONFIG_FIELDS) as [keyof Fields, Field<unknown>][]) {
    const flag = flags[key];
    const fromFlag = flag?.value !== undefined;
    const raw = fromFlag ? flag.value : reads && !reads.has(key) ? undefined : env[spec.env];
    const value = raw === undefined || raw.trim() === '' ? spec.default : raw;
    out[key] = value === undefined ? undefined : spec.parse(value, fromFlag ? flag.flag : spec.env);
  }
  checkUniqueKeys([
    { name: 'API_KEYS', entries: out.apiKeys as KeyEntry[] | undefined },
    { name: 'ADMIN_KEYS', entries: out.adminKeys as KeyEntry[] | undefined },
  ]);
  out.crawlUserAgent ??= `crawlfleet/${VERSION}`;
  // The crawl frontier is spread over shards where there are shards to spread it over.
  out.crawlQueueShards ??= out.redisClusterNodes ? 8 : 1;
  out.version = VERSION;
  return out as Config;
}

/** A short form of a Redis URL for logs: the password is hidden. */
export function redactRedisUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** True when the variable is set to something non-empty (the launcher asks this of REDIS_URL). */
export function isConfigured(name: string, env: Record<string, string | undefined> = process.env): boolean {
  return (env[name] ?? '').trim() !== '';
}
