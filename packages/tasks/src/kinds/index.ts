import { RENDER_QUEUE } from '@crawlfleet/core/job-types';
import { crawlKind, crawlScheduleKind, renderKind, webhookKind } from './engines.js';
import { fibonacciKind } from './fibonacci.js';
import type { JobKind } from './kind.js';
import { sqrtKind } from './sqrt.js';

export { defineKind, type JobKind, type KindRun, type KindSchemas } from './kind.js';
export { crawlScheduleKind } from './engines.js';

/*
 * The registry of job kinds: one line a kind. The API's routes and OpenAPI
 * description, the workers' processors and defaults, `npm start`, the CLI's
 * help and the compose checks all read it. Adding a kind: its module, a line
 * here, and its worker service in the compose files.
 */
const BUILT_IN = [sqrtKind, fibonacciKind, crawlKind, webhookKind, renderKind, crawlScheduleKind] as const;

type BuiltIn = (typeof BUILT_IN)[number];

/** The built-in kinds with a queue and workers of their own. */
type Served = Exclude<BuiltIn, { rides: string }>;

/** A kind clients submit: `sqrt`, `fibonacci`, `crawl` (and any kind registered with `submitted: true`). */
export type JobType = Extract<BuiltIn, { submitted: true }>['name'];

/** A kind a worker serves: every job type, `webhook` and `render`. */
export type WorkerKind = Served['name'];

/** Every kind, in the order lists show them. */
export const JOB_KINDS: JobKind[] = [...BUILT_IN];

/** The kinds clients submit, by name. Live: {@link registerKind} adds to it. */
export const JOB_TYPES: JobType[] = BUILT_IN.filter((kind) => kind.submitted).map((kind) => kind.name);

/** The names of every kind, each a worker's `--queue`. Live: {@link registerKind} adds to it. */
export const WORKER_KINDS: WorkerKind[] = BUILT_IN.filter((kind): kind is Served => !('rides' in kind)).map(
  (kind) => kind.name,
);

/** The queues jobs are submitted to: one per job type, and render (crawl jobs with `render: true`). */
export const JOB_QUEUES: (JobType | typeof RENDER_QUEUE)[] = [...JOB_TYPES, RENDER_QUEUE];

/** One of {@link JOB_QUEUES}. */
export type JobQueueName = JobType | typeof RENDER_QUEUE;

/** True when `value` names a job type clients submit. */
export function isJobType(value: unknown): value is JobType {
  return typeof value === 'string' && (JOB_TYPES as string[]).includes(value);
}

/** True when `value` names a kind a worker can serve. */
export function isWorkerKind(value: unknown): value is WorkerKind {
  return typeof value === 'string' && (WORKER_KINDS as string[]).includes(value);
}

/** The kind named `name`; throws for a name not in the registry. */
export function jobKind(name: string): JobKind {
  const kind = JOB_KINDS.find((each) => each.name === name);
  if (!kind) throw new Error(`no job kind ${JSON.stringify(name)} (known: ${WORKER_KINDS.join(', ')})`);
  return kind;
}

/**
 * Adds a kind at run time, before the API or a worker starts: for an
 * embedding program or a test, the same as a line in the list above.
 */
export function registerKind(kind: JobKind): void {
  if (JOB_KINDS.some((each) => each.name === kind.name)) throw new Error(`job kind ${kind.name} is already registered`);
  if (kind.submitted && kind.run.mode === 'engine')
    throw new Error(`job kind ${kind.name}: only built-in kinds run on an engine`);
  JOB_KINDS.push(kind);
  if (kind.rides === undefined) (WORKER_KINDS as string[]).push(kind.name);
  if (kind.submitted) {
    (JOB_TYPES as string[]).push(kind.name);
    (JOB_QUEUES as string[]).splice(JOB_TYPES.length - 1, 0, kind.name);
  }
}
