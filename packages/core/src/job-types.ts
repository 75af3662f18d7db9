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

export { cancelChannel, crawlCancelChannel, crawlEndChannel, frontierWakeChannel, queueKeyPrefix } from './keys.js';
