import type { JobState, JobType } from '@crawlfleet/core';
import type { Job } from 'bullmq';

/** A job as the API shows it. */
export interface JobView {
  id: string;
  type: JobType;
  state: JobState;
  input: unknown;
  result: unknown;
  error: string | null;
  progress: unknown;
  attempts: number;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

function iso(ms: number | undefined | null): string | null {
  return typeof ms === 'number' && ms > 0 ? new Date(ms).toISOString() : null;
}

/** BullMQ's state in the API's words; null when the job is gone. */
export function apiState(state: string): JobState | null {
  switch (state) {
    case 'waiting':
    case 'delayed':
    case 'prioritized':
    case 'active':
    case 'completed':
    case 'failed':
      return state;
    case 'waiting-children':
      return 'waiting';
    default:
      return null;
  }
}

/** What a view is made of: a BullMQ Job, or the same fields read from its hash. */
export type JobFields = Pick<Job, 'id' | 'data' | 'returnvalue' | 'failedReason' | 'progress' | 'attemptsMade' | 'timestamp' | 'processedOn' | 'finishedOn'>;

/** A job's stored hash, as HGETALL gives it (empty when the job is gone). */
export type JobHash = Record<string, string>;

/** A stored JSON value, or the raw string when it is not JSON (as BullMQ reads returnvalue). */
function parseStored(text: string | undefined, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function integer(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number.parseInt(text, 10);
}

/** True when the hash is that of a completed job: only completion writes `returnvalue`, and a re-run deletes it. */
export function isCompletedHash(hash: JobHash): boolean {
  return hash.returnvalue !== undefined && hash.finishedOn !== undefined;
}

/** The fields of job `id` from its stored hash, read as BullMQ's Job.fromId reads them. */
export function jobFieldsFromHash(id: string, hash: JobHash): JobFields {
  return {
    id,
    data: parseStored(hash.data, {}),
    returnvalue: parseStored(hash.returnvalue, null),
    failedReason: hash.failedReason ?? '',
    progress: parseStored(hash.progress, 0) as JobFields['progress'],
    attemptsMade: integer(hash.atm ?? hash.attemptsMade) ?? 0,
    timestamp: integer(hash.timestamp) ?? 0,
    processedOn: integer(hash.processedOn),
    finishedOn: integer(hash.finishedOn),
  };
}

/** The view of `job`, whose BullMQ state is `state`. */
export function toJobView(type: JobType, job: JobFields, state: JobState): JobView {
  return {
    id: String(job.id),
    type,
    state,
    input: job.data,
    result: state === 'completed' ? (job.returnvalue ?? null) : null,
    error: job.failedReason ? job.failedReason : null,
    progress: job.progress ?? 0,
    attempts: job.attemptsMade,
    createdAt: iso(job.timestamp),
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
  };
}

/** The short reply to a POST: where to look for the job. */
export function acceptedReply(type: JobType, id: string, state: JobState) {
  return { id, type, state, url: `/v1/jobs/${type}/${encodeURIComponent(id)}` };
}
