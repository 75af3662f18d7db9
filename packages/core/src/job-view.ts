import type { JobState, JobType } from './job-types.js';
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

/** What a view is made of: the fields of a BullMQ Job. */
export type JobFields = Pick<
  Job,
  | 'id'
  | 'data'
  | 'returnvalue'
  | 'failedReason'
  | 'progress'
  | 'attemptsMade'
  | 'timestamp'
  | 'processedOn'
  | 'finishedOn'
>;

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
