import type { JobState } from './job-types.js';
import { jobInput } from './tenants.js';

/** A job as the API shows it. */
export interface JobView {
  id: string;
  type: string;
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

/** What a view is made of: the fields of a queued job (a BullMQ Job has them; this module needs no bullmq). */
export interface JobFields {
  id?: string;
  data: unknown;
  returnvalue: unknown;
  failedReason: string;
  progress: unknown;
  attemptsMade: number;
  timestamp: number;
  processedOn?: number;
  finishedOn?: number;
}

/** A job's state as the API tells it: a failed job that was cancelled is `cancelled`. */
export function viewState(job: Pick<JobFields, 'failedReason'>, state: JobState): JobState {
  return state === 'failed' && /^CF_ERR_CANCELLED\b/.test(job.failedReason ?? '') ? 'cancelled' : state;
}

/** The view of `job`, whose BullMQ state is `state`; its input without the tenant it records. */
export function toJobView(type: string, job: JobFields, state: JobState): JobView {
  return {
    id: String(job.id),
    type,
    state: viewState(job, state),
    input: jobInput(job.data),
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
export function acceptedReply(type: string, id: string, state: JobState) {
  return { id, type, state, url: `/v1/jobs/${type}/${encodeURIComponent(id)}` };
}
