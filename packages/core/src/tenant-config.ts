import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

/*
 * The tenant part of the configuration: API_KEYS and ADMIN_KEYS entries, and
 * TENANTS_FILE (per-tenant quota overrides and fair-share weights). config.ts
 * declares the variables; this module holds their rules.
 */

/** The tenant of bare keys, of the keyless API, and of everything made before tenants existed. */
export const DEFAULT_TENANT = 'default';

/** A tenant id: what comes before the first `:` of a `tenant:key` entry. */
export const TENANT_PATTERN = /^[a-z0-9-]{1,32}$/;

/** Shortest key accepted, bare or after `tenant:`. */
export const MIN_KEY_LENGTH = 16;

/** One API_KEYS or ADMIN_KEYS entry: the key a client sends, and the tenant it acts as. */
export interface KeyEntry {
  readonly tenant: string;
  readonly key: string;
  /** Written without a tenant (the form before tenants): keeps operator rights while ADMIN_KEYS is unset. */
  readonly bare: boolean;
}

/** Quotas a tenant may be held to; 0 = unlimited. */
export interface TenantLimits {
  readonly maxRunningCrawls: number;
  readonly maxQueuedJobs: number;
  readonly maxSchedules: number;
  readonly maxPagesPerDay: number;
}

/** A tenant's overrides from TENANTS_FILE: some limits, and its fair-share weight. */
export type TenantSettings = Partial<TenantLimits> & { readonly weight?: number };

function fail(message: string): never {
  throw new ConfigError(message);
}

/**
 * `tenant:key` when the part before the first `:` is a tenant id and the rest
 * has at least 16 characters, else a bare key of tenant `default`. Errors
 * name the entry by its position, never the key itself.
 */
export function keyEntries(raw: string, name: string): KeyEntry[] {
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) fail(`${name} must list at least one key, comma-separated (got ${JSON.stringify(raw)})`);
  return items.map((item, index) => {
    const colon = item.indexOf(':');
    const tenant = colon > 0 ? item.slice(0, colon) : '';
    const rest = item.slice(colon + 1);
    if (TENANT_PATTERN.test(tenant) && rest.length >= MIN_KEY_LENGTH) return { tenant, key: rest, bare: false };
    if (item.length < MIN_KEY_LENGTH)
      fail(`${name} entry ${index + 1}: keys must be at least ${MIN_KEY_LENGTH} characters`);
    return { tenant: DEFAULT_TENANT, key: item, bare: true };
  });
}

/**
 * Refuses a key given twice, within or across API_KEYS and ADMIN_KEYS: a
 * request must mean one tenant and one set of rights.
 * @throws ConfigError naming the two positions, never the key
 */
export function checkUniqueKeys(lists: { name: string; entries: readonly KeyEntry[] | undefined }[]): void {
  const seen = new Map<string, string>();
  for (const { name, entries } of lists)
    for (const [index, entry] of (entries ?? []).entries()) {
      const at = `${name} entry ${index + 1}`;
      const before = seen.get(entry.key);
      if (before) fail(`${at} repeats the key of ${before}: every key must be unique`);
      seen.set(entry.key, at);
    }
}

const LIMIT_FIELDS = ['maxRunningCrawls', 'maxQueuedJobs', 'maxSchedules', 'maxPagesPerDay'] as const;

function settingsOf(tenant: string, value: unknown, file: string): TenantSettings {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    fail(`TENANTS_FILE ${file}: tenant "${tenant}" must be an object`);
  const out: Record<string, number> = {};
  for (const [key, setting] of Object.entries(value)) {
    if (key === 'weight') {
      if (typeof setting !== 'number' || !(setting > 0) || setting > 1000)
        fail(`TENANTS_FILE ${file}: tenants.${tenant}.weight must be a number above 0 and at most 1000`);
    } else if ((LIMIT_FIELDS as readonly string[]).includes(key)) {
      if (!Number.isSafeInteger(setting) || (setting as number) < 0)
        fail(`TENANTS_FILE ${file}: tenants.${tenant}.${key} must be an integer >= 0 (0 = unlimited)`);
    } else {
      fail(
        `TENANTS_FILE ${file}: tenants.${tenant}.${key} is not a setting (${['weight', ...LIMIT_FIELDS].join(', ')})`,
      );
    }
    out[key] = setting as number;
  }
  return out;
}

/**
 * TENANTS_FILE: `{"tenants": {"<tenant>": {"weight": 2, "maxRunningCrawls": 5, …}}}`.
 * @throws ConfigError with one line naming the problem
 */
export function tenantsFile(raw: string): Readonly<Record<string, TenantSettings>> {
  const file = raw.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0];
    return fail(`TENANTS_FILE ${file} cannot be read as JSON: ${reason}`);
  }
  const tenants = (parsed as { tenants?: unknown } | null)?.tenants;
  if (!tenants || typeof tenants !== 'object' || Array.isArray(tenants))
    fail(`TENANTS_FILE ${file} must be an object with a "tenants" object`);
  const out: Record<string, TenantSettings> = {};
  for (const [tenant, value] of Object.entries(tenants)) {
    if (!TENANT_PATTERN.test(tenant))
      fail(`TENANTS_FILE ${file}: "${tenant.slice(0, 40)}" is not a tenant id ([a-z0-9-]{1,32})`);
    out[tenant] = settingsOf(tenant, value, file);
  }
  return out;
}
