import { type JobType } from '@crawlfleet/tasks/kinds';
import { randomUUID } from 'node:crypto';
import {
  HOOKED_JOB,
  COUNTED_FIELD,
  TENANT_FIELD,
  TenantUsage,
  isCounted,
  jobTenant,
  jobWebhookKey,
  mayAct,
  tenantLimits,
  viewState,
  type JobState,
  type Scope,
  type WebhookSpec,
  withRedis,
  apiState,
  type JobFields,
} from '@crawlfleet/core';
import type { Job, JobsOptions } from '../plugins/job-queues.js';
import { JobNotFoundError } from '../errors.js';
import type { JobQueues } from '../plugins/job-queues.js';
import { IdempotencyKeys } from './idempotency.js';
import { PAGE_JOB } from '@crawlfleet/crawl';

/** What a client may set per job. */
export interface SubmitOptions {
  priority?: number | undefined;
  delay?: number | undefined;
  attempts?: number | undefined;
}

/** True for a crawl job to render in a browser (the render queue). */
function isRendered(type: JobType, input: unknown): boolean {
  return type === 'crawl' && (input as { render?: unknown } | null)?.render === true;
}

/** Below this share of TENANT_MAX_QUEUED_JOBS (as last seen) a submission counts itself beside its add. */
const FAR_FROM_LIMIT = 0.9;

/** A job's id: a random one (never a counter), `render-` before it for a rendered crawl job. */
function jobIdOf(render: boolean, id: string = randomUUID()): string {
  return render ? `render-${id}` : id;
}

/**
 * Adds, reads, waits for and removes jobs. Every call is bounded in time:
 * with Redis away it throws RedisUnavailableError within seconds.
 */
export class JobStore {
  private readonly idempotency: IdempotencyKeys;
  readonly usage: TenantUsage;
  private readonly lastQueued = new Map<string, number>();

  /**
   * @param tenanted keys are configured: jobs record their tenant and count
   *   against its TENANT_MAX_QUEUED_JOBS (without keys there is one tenant and no quota)
   */
  constructor(
    private readonly queues: JobQueues,
    readonly tenanted: boolean,
  ) {
    const { redis, config } = queues;
    this.idempotency = new IdempotencyKeys(redis, config.queuePrefix, config.resultTtlSeconds);
    this.usage = new TenantUsage(redis, config);
  }

  /** What is stored for `input` of `scope`'s tenant: the input, with its tenant when keys are configured. */
  private dataOf(input: unknown, scope: Scope): unknown {
    return this.tenanted ? { ...(input as object), [TENANT_FIELD]: scope.tenant, [COUNTED_FIELD]: 1 } : input;
  }

  /** Takes `count` jobs of the tenant's quota around `add`, given back if `add` fails. */
  private async counted<T>(scope: Scope, count: number, add: () => Promise<T>): Promise<T> {
    if (!this.tenanted) return add();
    const { tenant } = scope;
    const limit = tenantLimits(this.queues.config, tenant).maxQueuedJobs;
    const seen = this.lastQueued.get(tenant);
    // Far from the limit (as last seen), the count goes beside the add, not before it: no round trip
    // more per submission (bench/README.md). Near it, or not seen yet, the quota is taken first.
    const far = seen !== undefined && (limit === 0 || seen + count <= limit * FAR_FROM_LIMIT);
    try {
      if (far) {
        const [after, result] = await Promise.all([this.usage.countJobs(tenant, count), add()]);
        this.remember(tenant, after);
        return result;
      }
      this.remember(tenant, await this.usage.reserveJobs(tenant, count));
    } catch (err) {
      if (far) await this.usage.releaseJobs(tenant, count).catch(() => {});
      throw err;
    }
    try {
      return await add();
    } catch (err) {
      await this.usage.releaseJobs(tenant, count).catch(() => {});
      throw err;
    }
  }

  /** The tenant's queued jobs as Redis last said, for the next submission (a bounded map). */
  private remember(tenant: string, queued: number): void {
    this.lastQueued.delete(tenant);
    this.lastQueued.set(tenant, queued);
    if (this.lastQueued.size > 10_000) this.lastQueued.delete(this.lastQueued.keys().next().value!);
  }

  /** BullMQ options: retries with exponential backoff, results kept for the TTL. */
  jobOptions(options: SubmitOptions, jobId?: string): JobsOptions {
    const { config } = this.queues;
    const keep = { age: config.resultTtlSeconds };
    return {
      attempts: options.attempts ?? config.jobAttempts,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: keep,
      removeOnFail: keep,
      ...(options.priority ? { priority: options.priority } : {}),
      ...(options.delay ? { delay: options.delay } : {}),
      ...(jobId ? { jobId } : {}),
    };
  }

  /**
   * Adds one job of `scope`'s tenant. With an idempotency key, the job added
   * before under the tenant's key is returned instead (`replayed`), unless
   * its input differs (409), also when two requests with the key race.
   */
  async add(
    type: JobType,
    input: unknown,
    options: SubmitOptions,
    scope: Scope,
    idempotencyKey?: string,
    webhook?: WebhookSpec,
  ) {
    return withRedis(async () => {
      // A crawl job with render: true goes to the render queue, under an id that says so.
      const render = isRendered(type, input);
      const queue = render ? this.queues.render : this.queues.queue(type);
      const name = webhook ? HOOKED_JOB : type;
      const data = this.dataOf(input, scope);
      const claim =
        idempotencyKey === undefined
          ? { ids: [randomUUID()], claimed: true }
          : await this.idempotency.claim(scope.tenant, type, idempotencyKey, input, 1, options.delay);
      const jobId = jobIdOf(render, claim.ids[0]);
      if (!claim.claimed) {
        const job = await this.queues.getJob(type, jobId);
        if (job) return { job, replayed: true };
      }
      return this.counted(scope, 1, async () => {
        if (webhook) await this.keepWebhook(type, jobId, webhook, options.delay);
        // Adding an id that exists adds nothing (a replay whose first add was lost adds it now).
        const job = await queue.add(name, data, this.jobOptions(options, jobId));
        await this.queues.replicated(this.queues.queueKey(queue.name));
        return { job, replayed: !claim.claimed };
      });
    });
  }

  /** Keeps a job's webhook beside it, for the worker that finishes the job, as long as the job is kept. */
  private async keepWebhook(type: JobType, jobId: string, webhook: WebhookSpec, delayMs = 0): Promise<void> {
    const { redis, config } = this.queues;
    const ttl = config.resultTtlSeconds + Math.ceil(delayMs / 1000) + 60;
    await redis.set(jobWebhookKey(config.queuePrefix, type, jobId), JSON.stringify(webhook), 'EX', ttl);
  }

  /**
   * Adds many jobs of `scope`'s tenant in one round trip (MULTI). With an
   * idempotency key, a batch sent before under the tenant's key gets the
   * same ids (`replayed`), unless its inputs differ (409), as for one job.
   */
  async addBatch(
    type: JobType,
    inputs: unknown[],
    options: SubmitOptions,
    scope: Scope,
    idempotencyKey?: string,
  ): Promise<{ ids: string[]; replayed: boolean }> {
    return withRedis(async () => {
      const claim =
        idempotencyKey === undefined
          ? { ids: inputs.map(() => randomUUID()), claimed: true }
          : await this.idempotency.claim(
              scope.tenant,
              type,
              `batch:${idempotencyKey}`,
              inputs,
              inputs.length,
              options.delay,
            );
      // Rendered crawl jobs go to the render queue.
      const items = inputs.map((input, index) => {
        const render = isRendered(type, input);
        const jobId = jobIdOf(render, claim.ids[index]);
        return { render, job: { name: type, data: this.dataOf(input, scope), opts: this.jobOptions(options, jobId) } };
      });
      const ids = items.map((item) => item.job.opts.jobId!);
      // A replay adds nothing new (the ids exist) and takes no quota.
      const add = async () => {
        for (const render of [false, true]) {
          const picked = items.filter((item) => item.render === render);
          if (picked.length === 0) continue;
          const queue = render ? this.queues.render : this.queues.queue(type);
          await queue.addBulk(picked.map((item) => item.job));
          await this.queues.replicated(this.queues.queueKey(queue.name));
        }
      };
      await (claim.claimed ? this.counted(scope, inputs.length, add) : add());
      return { ids, replayed: !claim.claimed };
    });
  }

  /**
   * The job and its state, or JobNotFoundError. The state is read before the
   * job, so the job is never older than its state; if the job shows it has
   * finished meanwhile, the state is read again.
   */
  async find(type: JobType, id: string, scope: Scope) {
    return withRedis(async () => {
      const queue = this.queues.queueOf(type, id);
      // Both reads whether the job exists or not, in this order on one connection: another
      // tenant's job and a missing one take the same time to answer.
      const [bullState, job] = await Promise.all([queue.getJobState(id), this.queues.getJob(type, id)]);
      let state = apiState(bullState);
      // A crawl's page jobs are the crawl's own (GET /v1/crawls/{id}); as jobs they do not exist.
      // Another tenant's job is answered as a missing one.
      if (!job || !state || job.name === PAGE_JOB || !mayAct(scope, jobTenant(job.data)))
        throw new JobNotFoundError(type, id);
      if (job.finishedOn && state !== 'completed' && state !== 'failed') state = apiState(await job.getState());
      if (!state) throw new JobNotFoundError(type, id);
      return { job, state };
    });
  }

  /**
   * A job whose `completed` event came: its state is known, so one read (Job.fromId) instead of
   * find()'s two, which is what the early read through BullMQ's internals saved before.
   */
  private async completed(type: JobType, id: string, scope: Scope): Promise<{ job: JobFields; state: JobState }> {
    const job = await withRedis(() => this.queues.getJob(type, id));
    // Gone, or run again since (retried by hand), or not the caller's: read it as anyone would.
    if (!job?.finishedOn || job.returnvalue === undefined || !mayAct(scope, jobTenant(job.data)))
      return this.find(type, id, scope);
    return { job, state: 'completed' };
  }

  /**
   * Waits up to `ms` for the job to complete or fail for good, then reads it.
   * @returns the job and its state, finished or not.
   */
  async waitFor(type: JobType, id: string, ms: number, scope: Scope): Promise<{ job: JobFields; state: JobState }> {
    const deadline = Date.now() + ms;
    const waiter = this.queues.waiter(type, id);
    for (;;) {
      const outcome = await waiter.wait(id, Math.max(0, deadline - Date.now()));
      const found = outcome === 'completed' ? await this.completed(type, id, scope) : await this.find(type, id, scope);
      // `failed` comes when the last attempt fails (a retried attempt sends
      // `delayed` or `waiting`); a job retried by hand after it runs again: wait on.
      if (found.state === 'completed' || found.state === 'failed' || outcome === 'timeout' || Date.now() >= deadline) {
        return found;
      }
      waiter.forget(id);
    }
  }

  /** Removes a job; false when it is locked by a worker (it started meanwhile). */
  async remove(job: Job): Promise<boolean> {
    return withRedis(async () => {
      try {
        await job.remove();
        if (this.tenanted && isCounted(job.data)) await this.usage.releaseJobs(jobTenant(job.data));
        return true;
      } catch (err) {
        if (/locked|could not be removed/i.test((err as Error).message)) return false;
        throw err;
      }
    });
  }

  /**
   * Puts a failed or cancelled job of `scope`'s back in its queue (its
   * attempts start again), counted in its tenant's queued jobs again.
   * @returns the state it had: anything but failed or cancelled is left as it was
   */
  async retry(type: JobType, id: string, scope: Scope): Promise<JobState> {
    const { job, state } = await this.find(type, id, scope);
    const shown = viewState(job, state);
    if (state !== 'failed') return shown;
    const tenant = jobTenant(job.data);
    const counted = this.tenanted && isCounted(job.data);
    await withRedis(async () => {
      if (counted) await this.usage.reserveJobs(tenant, 1);
      await job.retry('failed');
    });
    return shown;
  }

  /** Asks the worker running a crawl job to abort it. */
  async cancel(type: JobType, id: string): Promise<void> {
    await withRedis(() => this.queues.requestCancel(type, id));
  }
}
