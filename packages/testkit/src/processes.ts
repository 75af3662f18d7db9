import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder (this file is packages/testkit/dist/processes.js when it runs). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Processes started here that still run: killed if this process dies first (a crash, an unhandled rejection). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Has `child` killed if this process exits while it still runs. */
export function killOnExit(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** A service process started from its built entry point. */
export interface ServiceProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process ends. */
  exited: Promise<number | string>;
}

/**
 * Starts `node ...nodeArgs <entry> ...args` with `env` added to this process's
 * environment. Its output is kept for output(); with `quiet` (the bench),
 * stdout is dropped, stderr passes through and it logs at `warn`; with `user`
 * (root only) it runs as that uid and gid.
 */
export function startService(
  entry: string,
  args: string[],
  env: Record<string, string>,
  nodeArgs: string[] = [],
  { quiet = false, user }: { quiet?: boolean; user?: { uid: number; gid: number } } = {},
): ServiceProcess {
  const child = killOnExit(
    spawn(process.execPath, [...nodeArgs, `${ROOT}${entry}`, ...args], {
      env: { ...process.env, LOG_LEVEL: quiet ? 'warn' : 'info', ...env },
      stdio: quiet ? ['ignore', 'ignore', 'inherit'] : ['ignore', 'pipe', 'pipe'],
      ...user,
    }),
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return { child, output: () => output, exited };
}

/** What a `crawlfleet` command line printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the installed `crawlfleet` command from the repository root, as a user runs it, with `env` added. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      join(ROOT, 'node_modules/.bin/crawlfleet'),
      args,
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
