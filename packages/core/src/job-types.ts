/*
 * Names and channels every service shares. The kinds of job themselves (their
 * names, schemas, processors and defaults) are the registry in
 * `@crawlfleet/tasks/kinds`.
 */

/** The queue of crawl jobs and crawl pages with `render: true`, served by render workers (headless Chromium). */
export const RENDER_QUEUE = 'render';

/** Longest `?wait=` a request may ask for, in ms (the API's limit, the CLI's `--wait`). */
export const MAX_WAIT_MS = 30_000;

/**
 * Job states as the API reports them. BullMQ's `waiting-children` is reported
 * as `waiting`; `unknown` means the job does not exist. `cancelled` is a
 * failed job whose error is CF_ERR_CANCELLED (BullMQ has no such state).
 */
export const JOB_STATES = ['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed', 'cancelled'] as const;

/** One of {@link JOB_STATES}. */
export type JobState = (typeof JOB_STATES)[number];

/**
 * The Redis pub/sub channel on which the API asks workers of a queue to abort
 * an active job; the message is the job id.
 */
export function cancelChannel(prefix: string, type: string): string {
  return `${prefix}:${type}:cancel`;
}

/** The channel on which a crawl's end is published (by the worker that ended it, or the API that cancelled it): its id. */
export function crawlEndChannel(prefix: string): string {
  return `${prefix}:crawl:ended`;
}

/** The channel on which a new crawl's seed wakes the crawl workers' frontier dispatchers (idle ones look seldom). */
export function frontierWakeChannel(prefix: string): string {
  return `${prefix}:frontier:wake`;
}

/** The channel on which the API tells crawl workers that a whole crawl was cancelled; the message is its id. */
export function crawlCancelChannel(prefix: string): string {
  return `${prefix}:crawl:cancel-crawl`;
}

/**
 * BullMQ's key prefix for `queue`: QUEUE_PREFIX and the queue's name as a hash
 * tag, so that on a Redis Cluster all keys of a queue share one slot (BullMQ's
 * scripts need that) and different queues fall on different slots.
 */
export function queueKeyPrefix(prefix: string, queue: string): string {
  return `{${prefix}:${queue}}`;
}
