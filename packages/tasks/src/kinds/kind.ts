import type { Config } from '@crawlfleet/core/runtime';
import type * as Core from '@crawlfleet/core';
import type { TObject, TSchema } from 'typebox';

/** A kind's request and result shapes (JSON Schema, TypeBox). */
export interface KindSchemas {
  /** The job's fields (a webhook may ride beside them). */
  input: TObject;
  result: TSchema;
}

/**
 * How a kind's jobs run on its worker: `inline` on the worker's event loop
 * (tiny, pure work), `thread` in a pool of worker threads, one per core
 * (CPU work: the event loop keeps renewing locks), or `engine`: the worker's
 * own machinery (crawl pages, rendered pages, webhook deliveries).
 */
export type KindRun =
  | { mode: 'inline'; process: (data: unknown, config: Config) => unknown }
  | { mode: 'thread'; process: (data: unknown, config: Config) => unknown }
  | { mode: 'engine' };

/**
 * One kind of job: everything the API, the workers, the CLI, the OpenAPI
 * description, `npm start` and the compose checks need to know of it. A kind
 * is one module exporting one of these, listed once in the registry
 * (`kinds/index.ts`); its BullMQ queue, its worker's `--queue` and, when
 * clients submit it, its routes `/v1/jobs/<name>` all take its name.
 */
export interface JobKind<Name extends string = string> {
  readonly name: Name;
  /** Clients submit it (`POST /v1/jobs/<name>`); false for work the fleet makes itself. */
  readonly submitted: boolean;
  /** What one job does, for the API description and `crawlfleet help`. */
  readonly summary: string;
  /** Jobs one worker process runs at once when `WORKER_CONCURRENCY` is unset. */
  readonly concurrency: () => number;
  /** Node flags its worker process starts with (`npm start`, the compose files, the bench). */
  readonly nodeArgs: readonly string[];
  /**
   * Input and result schemas of a submitted kind, loaded only where requests
   * are validated (the API): a worker never loads TypeBox.
   */
  readonly schemas?: (config: Config) => Promise<KindSchemas>;
  readonly run: KindRun;
  /**
   * The queue its jobs ride when it is another kind's, served by that kind's
   * workers (a crawl schedule's runs ride the crawl queue, under this kind's
   * name): no `--queue`, worker service or route of its own. Absent: its own
   * queue, named as it is.
   */
  readonly rides?: string;
  /** The URL of the module declaring the kind (`import.meta.url`): a `thread` kind's threads load it from there. */
  readonly module?: string;
}

/** Declares a kind, keeping its name and `submitted` as literal types (so `JobType` is a union of names). */
export function defineKind<const Kind extends JobKind>(kind: Kind): Kind {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(kind.name))
    throw new Error(`job kind name ${JSON.stringify(kind.name)} is not [a-z][a-z0-9-]*`);
  if (kind.submitted && !kind.schemas)
    throw new Error(`job kind ${kind.name} is submitted by clients but has no schemas`);
  if (kind.run.mode === 'thread' && !kind.module)
    throw new Error(`job kind ${kind.name} runs in threads but names no module`);
  return kind;
}

/** `@crawlfleet/core` with its schemas: a name, not a literal, so the CLI's bundler leaves TypeBox out. */
const CORE = '@crawlfleet/core';

/** Loads the schemas' module (TypeBox), where requests are validated. */
export async function loadCore(): Promise<typeof Core> {
  return (await import(CORE)) as typeof Core;
}
