import { type JobType } from '@crawlfleet/tasks/kinds';
import {
  jobTenant,
  mayAct,
  toJobView,
  viewState,
  type JobState,
  type JobView,
  type Scope,
  withRedis,
} from '@crawlfleet/core';
import { CRAWL_SCHEDULE_JOB, PAGE_JOB } from '@crawlfleet/crawl';
import { ValidationError } from '../errors.js';
import type { Job, JobQueues, Queue } from '../plugins/job-queues.js';

/** BullMQ lists read for each state a list asks for (cancelled jobs are failed ones). */
const LISTS: Record<JobState, string> = {
  waiting: 'waiting',
  delayed: 'delayed',
  prioritized: 'prioritized',
  active: 'active',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'failed',
};
/** Without ?state: every list, unfinished first. */
const ALL: JobState[] = ['active', 'waiting', 'prioritized', 'delayed', 'failed', 'completed'];
/** Jobs read from Redis at a time, and at most per request (a page may then hold fewer than `limit`). */
const CHUNK = 200;
const SCAN_BUDGET = 5000;

export interface ListQuery {
  state?: JobState;
  limit: number;
  cursor?: string;
  tenant?: string;
}

/** A job as a list shows it: its view, and for an operator its tenant. */
export type ListedJob = JobView & { tenant?: string };

/**
 * Lists of jobs of one type, newest first, each tenant its own (an operator:
 * all, or `tenant`'s). The cursor is where in which BullMQ list to go on; a
 * request reads at most SCAN_BUDGET jobs, so a tenant with few jobs among
 * many others' gets pages with fewer items and a cursor, never a slow request.
 */
export class JobLists {
  constructor(private readonly queues: JobQueues) {}

  /** The (queue, BullMQ list, state) sources of a list, in order: crawl jobs include rendered ones. */
  private sources(type: JobType, state: JobState | undefined): { queue: Queue; list: string; state: JobState }[] {
    const queues = type === 'crawl' ? [this.queues.queue(type), this.queues.render] : [this.queues.queue(type)];
    const states = state ? [state] : ALL;
    return states.flatMap((each) => queues.map((queue) => ({ queue, list: LISTS[each], state: each })));
  }

  private parseCursor(cursor: string | undefined): [number, number] {
    if (cursor === undefined) return [0, 0];
    const match = /^(\d{1,3})\.(\d{1,12})$/.exec(cursor);
    if (!match) throw new ValidationError('querystring.cursor', 'is not a cursor this API gave out');
    return [Number(match[1]), Number(match[2])];
  }

  async list(type: JobType, scope: Scope, query: ListQuery): Promise<{ items: ListedJob[]; next: string | null }> {
    const sources = this.sources(type, query.state);
    const who: Scope = scope.operator && query.tenant ? { tenant: query.tenant, operator: false } : scope;
    let [at, offset] = this.parseCursor(query.cursor);
    const items: ListedJob[] = [];
    let scanned = 0;
    while (at < sources.length && items.length < query.limit && scanned < SCAN_BUDGET) {
      const { queue, list, state } = sources[at];
      const jobs = await withRedis(() =>
        queue.getJobs([list] as Parameters<Queue['getJobs']>[0], offset, offset + CHUNK - 1, false),
      );
      for (const [index, job] of jobs.entries()) {
        if (items.length === query.limit) {
          offset += index;
          return { items, next: `${at}.${offset}` };
        }
        if (this.listed(job, who, state)) items.push(this.view(type, job, state, scope.operator));
      }
      scanned += jobs.length;
      offset += jobs.length;
      if (jobs.length < CHUNK) [at, offset] = [at + 1, 0];
    }
    return { items, next: at < sources.length ? `${at}.${offset}` : null };
  }

  /** Shown in the list: a job of its own (not a crawl's page, not a schedule's run), the caller's, in `state`. */
  private listed(job: Job | undefined, scope: Scope, state: JobState): job is Job {
    if (!job || job.name === PAGE_JOB || job.name === CRAWL_SCHEDULE_JOB) return false;
    if (!mayAct(scope, jobTenant(job.data))) return false;
    const shown = viewState(job, LISTS[state] as JobState);
    return state === 'failed' || state === 'cancelled' ? shown === state : true;
  }

  private view(type: JobType, job: Job, state: JobState, operator: boolean): ListedJob {
    const view = toJobView(type, job, LISTS[state] as JobState);
    return operator ? { ...view, tenant: jobTenant(job.data) } : view;
  }
}
