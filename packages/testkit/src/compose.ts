import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './processes.js';

/** A service of a compose file, with variables filled in. */
export interface ComposeService {
  command: string[];
  environment: Record<string, string>;
  /** Container path -> host path, for bind mounts. */
  mounts: Record<string, string>;
}

/** Fills in ${VAR}, ${VAR:-default} and ${VAR:?message} as compose does. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\{(\w+)(?:(:-|:\?)([^}]*))?\}/g,
    (_, name: string, op: string | undefined, arg: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (op === ':-') return arg ?? '';
      if (op === ':?') throw new Error(`compose: ${name} is required: ${arg}`);
      return '';
    },
  );
}

/**
 * Reads one service of a compose file (anchors and merge keys resolved), so a
 * test runs exactly the command and environment the compose file gives.
 */
export function composeService(file: string, service: string, env: Record<string, string>): ComposeService {
  const path = resolve(ROOT, file);
  const doc = parse(interpolate(readFileSync(path, 'utf8'), env), { merge: true }) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string | number>; volumes?: string[] }>;
  };
  const spec = doc.services[service];
  if (!spec?.command) throw new Error(`compose: ${file} has no service ${service} with a command`);
  const mounts: Record<string, string> = {};
  for (const volume of spec.volumes ?? []) {
    const [source, target] = volume.split(':');
    if (source?.startsWith('.') && target) mounts[target] = resolve(dirname(path), source);
  }
  const environment = Object.fromEntries(
    Object.entries(spec.environment ?? {}).map(([key, value]) => [key, String(value)]),
  );
  return { command: spec.command.map(String), environment, mounts };
}
