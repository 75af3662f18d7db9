import { createHash, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { HOOKED_JOB, PAGE_JOB, jobWebhookKey, type JobState, type JobType, type WebhookSpec } from '@crawlfleet/core';
import type { Job, JobsOptions } from '../plugins/job-queues.js';
import { IdempotencyConflictError, JobNotFoundError } from '../errors.js';
import type { JobQueues } from '../plugins/job-queues.js';
import { withRedis } from '../redis-errors.js';
import { apiState, type JobFields } from '@crawlfleet/core';

/** What a client may set per job. */
export interface SubmitOptions {
  priority?: number | undefined;
  delay?: number | undefined;
  attempts?: number | undefined;
}

/** JSON with object keys sorted, so inputs equal as values have one form. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What an idempotency claim remembers of the inputs: a hash of their canonical JSON. */
function fingerprint(inputs: unknown): string {
  return createHash('sha256').update(canonical(inputs)).digest('hex');
}

/** A job id derived from an Idempotency-Key: the same key gives the same id. */
export function idempotentJobId(key: string): string {
  return `idem-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** True for a crawl job to render in a browser (the render queue). */
function isRendered(type: JobType, input: unknown): boolean {
  return type === 'crawl' && (input as { render?: unknown } | null)?.render === true;
}

/** A job's id: `id` (BullMQ numbers it when undefined), or for a rendered crawl job `render-<id or a uuid>`. */
function jobIdOf(render: boolean, id: string): string;
function jobIdOf(render: boolean, id: string | undefined): string | undefined;
function jobIdOf(render: boolean, id: string | undefined): string | undefined {
  return render ? `render-${id ?? randomUUID()}` : id;
}

/**
 * Adds, reads, waits for and removes jobs. Every call is bounded in time:
 * with Redis away it throws RedisUnavailableError within seconds.
 */
export class JobStore {
  constructor(private readonly queues: JobQueues) {}

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
   * Claims an Idempotency-Key for `inputs` with SET NX, so of two racing
   * requests exactly one claims it; the other learns whether it sent the
   * same inputs (a replay) or others (409). The claim outlives the job: it is
   * kept for the job's delay plus the result TTL.
   * @returns true when this request claimed the key
   */
  private async claim(type: JobType, key: string, inputs: unknown, delayMs = 0): Promise<boolean> {
    const { redis, config } = this.queues;
    const claimKey = `${config.queuePrefix}:idempotency:{${type}:${idempotentJobId(key)}}`;
    const print = fingerprint(inputs);
    const ttl = config.resultTtlSeconds + Math.ceil(delayMs / 1000) + 60;
    if (await redis.set(claimKey, print, 'EX', ttl, 'NX')) return true;
    const stored = await redis.get(claimKey);
    if (stored !== null && stored !== print) throw new IdempotencyConflictError(key);
    return false;
  }

  /**
   * Adds one job. With an idempotency key, an existing job for the key is
   * returned instead (`replayed`), unless its input differs (409), also when
   * two requests with the key race.
   */
  async add(type: JobType, input: unknown, options: SubmitOptions, idempotencyKey?: string, webhook?: WebhookSpec) {
    return withRedis(async () => {
      // A crawl job with render: true goes to the render queue, under an id that says so.
      const render = isRendered(type, input);
      const queue = render ? this.queues.render : this.queues.queue(type);
      const name = webhook ? HOOKED_JOB : type;
      if (idempotencyKey === undefined) {
        const jobId = jobIdOf(render, webhook ? randomUUID() : undefined);
        if (jobId) await this.keepWebhook(type, jobId, webhook!, options.delay);
        const job = await queue.add(name, input, this.jobOptions(options, jobId));
        await this.queues.replicated(this.queues.queueKey(queue.name));
        return { job, replayed: false };
      }
      const claimed = await this.claim(type, idempotencyKey, input, options.delay);
      const jobId = jobIdOf(render, idempotentJobId(idempotencyKey));
      if (webhook && claimed) await this.keepWebhook(type, jobId, webhook, options.delay);
      // Adding an id that exists adds nothing; the stored job is the one to show.
      const added = await queue.add(name, input, this.jobOptions(options, jobId));
      const job = (await this.queues.getJob(type, jobId)) ?? added;
      if (!isDeepStrictEqual(job.data, input)) throw new IdempotencyConflictError(idempotencyKey);
      await this.queues.replicated(this.queues.queueKey(queue.name));
      return { job, replayed: !claimed };
    });
  }

  /** Keeps a job's webhook beside it, for the worker that finishes the job, as long as the job is kept. */
  private async keepWebhook(type: JobType, jobId: string, webhook: WebhookSpec, delayMs = 0): Promise<void> {
    const { redis, config } = this.queues;
    const ttl = config.resultTtlSeconds + Math.ceil(delayMs / 1000) + 60;
    await redis.set(jobWebhookKey(config.queuePrefix, type, jobId), JSON.stringify(webhook), 'EX', ttl);
  }

  /**
   * Adds many jobs in one round trip (MULTI). With an idempotency key, a
   * batch sent before under the key gets the same ids (`replayed`), unless
   * its inputs differ (409), as for one job.
   */
  async addBatch(
    type: JobType,
    inputs: unknown[],
    options: SubmitOptions,
    idempotencyKey?: string,
  ): Promise<{ ids: string[]; replayed: boolean }> {
    return withRedis(async () => {
      const claimed =
        idempotencyKey === undefined || (await this.claim(type, `batch:${idempotencyKey}`, inputs, options.delay));
      const base = idempotencyKey === undefined ? undefined : idempotentJobId(idempotencyKey);
      // With a key the ids are fixed, so a replay adds nothing new. Rendered crawl jobs go to the render queue.
      const items = inputs.map((data, index) => {
        const render = isRendered(type, data);
        const jobId = jobIdOf(render, base && `${base}-${index}`);
        return { render, job: { name: type, data, opts: this.jobOptions(options, jobId) } };
      });
      const ids = new Array<string>(items.length);
      for (const render of [false, true]) {
        const picked = items.flatMap((item, index) => (item.render === render ? [{ ...item, index }] : []));
        if (picked.length === 0) continue;
        const queue = render ? this.queues.render : this.queues.queue(type);
        const jobs = await queue.addBulk(picked.map((item) => item.job));
        jobs.forEach((job, at) => (ids[picked[at].index] = String(job.id)));
        await this.queues.replicated(this.queues.queueKey(queue.name));
      }
      return { ids, replayed: !claimed };
    });
  }

  /**
   * The job and its state, or JobNotFoundError. The state is read before the
   * job, so the job is never older than its state; if the job shows it has
   * finished meanwhile, the state is read again.
   */
  async find(type: JobType, id: string) {
    return withRedis(async () => {
      const queue = this.queues.queueOf(type, id);
      let state = apiState(await queue.getJobState(id));
      const job = state ? await this.queues.getJob(type, id) : undefined;
      // A crawl's page jobs are the crawl's own (GET /v1/crawls/{id}); as jobs they do not exist.
      if (!job || !state || job.name === PAGE_JOB) throw new JobNotFoundError(type, id);
      if (job.finishedOn && state !== 'completed' && state !== 'failed') state = apiState(await job.getState());
      if (!state) throw new JobNotFoundError(type, id);
      return { job, state };
    });
  }

  /**
   * A job whose `completed` event came: its state is known, so one read (Job.fromId) instead of
   * find()'s two, which is what the early read through BullMQ's internals saved before.
   */
  private async completed(type: JobType, id: string): Promise<{ job: JobFields; state: JobState }> {
    const job = await withRedis(() => this.queues.getJob(type, id));
    // Gone, or run again since (retried by hand): read it as anyone would.
    if (!job?.finishedOn || job.returnvalue === undefined) return this.find(type, id);
    return { job, state: 'completed' };
  }

  /**
   * Waits up to `ms` for the job to complete or fail for good, then reads it.
   * @returns the job and its state, finished or not.
   */
  async waitFor(type: JobType, id: string, ms: number): Promise<{ job: JobFields; state: JobState }> {
    const deadline = Date.now() + ms;
    const waiter = this.queues.waiter(type, id);
    for (;;) {
      const outcome = await waiter.wait(id, Math.max(0, deadline - Date.now()));
      const found = outcome === 'completed' ? await this.completed(type, id) : await this.find(type, id);
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
        return true;
      } catch (err) {
        if (/locked|could not be removed/i.test((err as Error).message)) return false;
        throw err;
      }
    });
  }

  /** Asks the worker running a crawl job to abort it. */
  async cancel(type: JobType, id: string): Promise<void> {
    await withRedis(() => this.queues.requestCancel(type, id));
  }
}
