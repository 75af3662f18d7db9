import { type WorkerKind } from '@crawlfleet/tasks/kinds';
import type { ChildProcess } from 'node:child_process';
import { eventually, startService } from '@crawlfleet/testkit';
import { workerNodeArgs } from '@crawlfleet/worker/defaults';

/*
 * The bench's processes, through the test kit's (killed if the bench dies
 * first); these only add the bench's defaults.
 */

/**
 * Node flags for every process the bench starts, e.g.
 * `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` to profile them.
 */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Starts `node ...nodeArgs <script> ...args` quietly (LOG_LEVEL=warn, stdout dropped). */
export function startNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  nodeArgs: string[] = [],
): ChildProcess {
  return startService(script, args, env, [...nodeArgs, ...NODE_ARGS], { quiet: true }).child;
}

/** Starts a worker process for `queue` with the Node flags `npm start` gives it. */
export function startWorkerProcess(queue: WorkerKind, env: Record<string, string>): ChildProcess {
  return startNode('services/worker/dist/main.js', ['--queue', queue], env, workerNodeArgs(queue));
}

/** Polls until `check` is true (every 20 ms, at most `timeoutMs`). */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  await eventually(check, timeoutMs, 'a bench step');
}

/** Sends SIGTERM and waits for the exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
