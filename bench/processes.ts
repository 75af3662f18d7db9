import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JobType } from '@crawlfleet/core';
import { workerNodeArgs } from '@crawlfleet/worker/defaults';
import { killOnExit } from '../test/helpers/processes.js';

/** The repository root (bench/dist/bench/ is three levels down). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Node flags for every process the bench starts, e.g.
 * `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` to profile them.
 */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Starts `node ...nodeArgs <script> ...args` quietly (LOG_LEVEL=warn). */
export function startNode(script: string, args: string[], env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  return killOnExit(spawn(process.execPath, [...nodeArgs, ...NODE_ARGS, `${ROOT}${script}`, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  }));
}

/** Starts a worker process for `queue` with the Node flags `npm start` gives it. */
export function startWorkerProcess(queue: JobType, env: Record<string, string>): ChildProcess {
  return startNode('services/worker/dist/main.js', ['--queue', queue], env, workerNodeArgs(queue));
}

/** Polls until `check` is true (every 20 ms, at most `timeoutMs`). */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Sends SIGTERM and waits for the exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
