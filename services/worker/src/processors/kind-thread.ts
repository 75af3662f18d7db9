// Runs in a thread kind's worker threads (see threads.ts): imports the kind's
// own module and the failure description only, so a thread starts in milliseconds.
import { workerData } from 'node:worker_threads';
import type { Config } from '@crawlfleet/core/runtime';
import type { JobKind } from '@crawlfleet/tasks/kinds';
import { describeFailure, type TaskFailure } from '../task-failure.js';

/** One job for a thread: the module declaring its kind, the kind's name and the job's data. */
export interface KindTask {
  module: string;
  kind: string;
  data: unknown;
}

/**
 * A thread's answer. A failure comes back as data: an Error crossing the
 * thread boundary would lose its code, which decides whether BullMQ retries.
 */
export type KindOutcome = { result: unknown } | { failure: TaskFailure };

const config = (workerData as { config: Config }).config;
const kinds = new Map<string, JobKind>();

async function kindOf(task: KindTask): Promise<JobKind> {
  const known = kinds.get(task.kind);
  if (known) return known;
  const exported = Object.values((await import(task.module)) as Record<string, JobKind>);
  const kind = exported.find((each) => each?.name === task.kind && each.run?.mode === 'thread');
  if (!kind) throw new Error(`${task.module} exports no thread kind ${task.kind}`);
  kinds.set(task.kind, kind);
  return kind;
}

export default async function runKind(task: KindTask): Promise<KindOutcome> {
  try {
    const kind = await kindOf(task);
    if (kind.run.mode !== 'thread') throw new Error(`${task.kind} does not run in threads`);
    return { result: await kind.run.process(task.data, config) };
  } catch (err) {
    return { failure: describeFailure(err) };
  }
}
