import { jobKind } from '@crawlfleet/tasks/kinds';
import { hostname } from 'node:os';
import {
  HOOKED_JOB,
  TenantUsage,
  isCounted,
  createRedis,
  onRedisBack,
  quitGracefully,
  redisAway,
  jobTenant,
  queueKeyPrefix,
  type Config,
  type WebhookDelivery,
} from '@crawlfleet/core/runtime';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { defaultConcurrency } from './defaults.js';
import { workerMetrics } from './metrics.js';
import { threadProcessor } from './processors/threads.js';
import { MetricsTime, Worker, toBullmqError, type Job } from './bullmq.js';
import { JobHooks } from './job-hooks.js';
import { SharedSlots } from './shared-slots.js';
import { BatchedRelease } from './batched-release.js';
import type { FetchOverrides } from './render/renderer.js';
import { PAGE_JOB, pageQueueNames } from '@crawlfleet/crawl/page-queues';

/** A worker consuming one queue, and how to stop it. */
export interface RunningWorker {
  /** The BullMQ worker of the kind's own queue. */
  readonly worker: Worker;
  /** Every BullMQ worker of this process: the kind's queue and, for crawl, the page shards it serves. */
  readonly workers: Worker[];
  readonly queue: string;
  readonly concurrency: number;
  /** Job durations and counts of this worker, for Prometheus. */
  readonly metrics: Registry;
  /**
   * Stops taking jobs and waits up to `timeoutMs` for the active ones; jobs
   * still running then are left to be retried elsewhere (their lock expires).
   * @returns true when every active job finished in time.
   */
  close(timeoutMs: number): Promise<boolean>;
}

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  config: Config;
  queue: string;
  logger: Logger;
  /** @defaultValue `WORKER_CONCURRENCY`, else {@link defaultConcurrency} */
  concurrency?: number;
  /** Test hooks: the address policy and DNS of a crawl or render worker's fetches. */
  overrides?: FetchOverrides;
  /** A crawl or render worker readies its content code as it starts (a worker process does). */
  warmUp?: boolean;
}

/** Starts a BullMQ worker for `queue` with the settings of `config`. */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { config, queue } = options;
  const logger = options.logger.child({ queue });
  const concurrency = options.concurrency ?? config.workerConcurrency ?? defaultConcurrency(queue);
  const connection = createRedis(config, 'blocking', (err) =>
    logger.warn({ err: err.message }, 'Redis unreachable; retrying'),
  );
  const stopBackLine = onRedisBack((downMs) =>
    logger.info({ downMs }, `Redis is back after ${Math.round(downMs / 1000)} s`),
  );
  // Only a crawl worker loads the crawler (undici, the HTML parser, …): the
  // sqrt and fibonacci workers stay smaller (bench/README.md).
  const crawl =
    queue === 'crawl' || queue === 'render'
      ? await (
          await import('./crawl/crawl-parts.js')
        ).startCrawlParts(config, logger, {
          render: queue === 'render',
          overrides: options.overrides,
          concurrency,
          warmUp: options.warmUp,
        })
      : null;
  const keep = { age: config.resultTtlSeconds };
  // The name shows in each job's processedBy and in the queue's worker list.
  const name = `${hostname()}-${process.pid}`;
  // A job whose worker died is handed to another worker once its lock
  // expires; the stalled check runs as often as a lock lasts.
  const locks = { lockDuration: config.workerLockDurationMs, stalledInterval: config.workerLockDurationMs };
  // Per-minute completed/failed counts for a week, exported by the API's /metrics.
  const bullmqMetrics = { maxDataPoints: MetricsTime.ONE_WEEK };
  const common = {
    name,
    connection,
    concurrency,
    removeOnComplete: keep,
    removeOnFail: keep,
    metrics: bullmqMetrics,
    ...locks,
  };
  // The kind's processor: its own code, inline or in threads, or the worker's engine for it (crawl, render,
  // webhook). Like the crawler, the webhook sender (undici, the address guard) is loaded only where it runs.
  const kind = jobKind(queue);
  const threads = kind.run.mode === 'thread' ? threadProcessor(kind, config, concurrency) : null;
  const webhook =
    queue === 'webhook'
      ? (await import('./processors/webhook.js')).webhookProcessor(config, connection, concurrency)
      : null;
  const inline = kind.run.mode === 'inline' ? kind.run.process : null;
  const run =
    crawl?.processor ??
    (threads
      ? (job: Job) => threads.process(job)
      : webhook
        ? (job: Job, token?: string, signal?: AbortSignal) =>
            webhook.process(job as Job<WebhookDelivery>, token, signal)
        : inline
          ? async (job: Job) => {
              try {
                return await inline(job.data, config);
              } catch (err) {
                throw toBullmqError(err);
              }
            }
          : null);
  // An engine kind this worker has no engine for is a mistake, never another kind's work under its name.
  if (!run) throw new Error(`no processor for the ${queue} queue`);
  // The ids of the jobs running here, named in the log when shutdown cannot wait for them.
  const active = new Set<string>();
  const processor = async (job: Job, token?: string, signal?: AbortSignal) => {
    active.add(String(job.id));
    try {
      return await run(job, token, signal);
    } finally {
      active.delete(String(job.id));
    }
  };
  const names = queueNames(config, queue);
  // One WORKER_CONCURRENCY over all the queues served (a crawl worker's page shards).
  const slots = names.length > 1 ? new SharedSlots(concurrency) : null;
  const workers = names.map((queueName) => {
    const worker: Worker = new Worker(
      queueName,
      slots ? (job, token, signal) => slots.run(worker, () => processor(job, token, signal)) : processor,
      { ...common, prefix: queueKeyPrefix(config.queuePrefix, queueName) },
    );
    slots?.attach(worker);
    return worker;
  });
  const worker = workers[0];
  // Jobs sent with a webhook tell it how they ended (a failure once no attempt is left).
  // A rendered crawl job is a crawl job to its webhook.
  const hooks = queue === 'webhook' ? null : new JobHooks(config, queue === 'render' ? 'crawl' : queue, logger);
  // BullMQ reports a lost Redis every second; say it once per minute.
  let lastError = { message: '', at: 0 };
  // A job that records its tenant counts in the tenant's queued jobs until it ends for good; ends are
  // given back in batches (one DECRBY a tenant every RELEASE_EVERY_MS), not a command a job (bench/README.md).
  const released = new BatchedRelease(new TenantUsage(connection, config), (err) =>
    logger.warn({ err: err.message }, 'quota not released'),
  );
  const ended = (job: Job) => {
    const data = job.data as Record<string, unknown> | null;
    if (isCounted(data)) released.add(jobTenant(data));
  };
  for (const each of workers) {
    each.on('failed', (job, err) => {
      if (queue === 'webhook' && job?.finishedOn) logger.error(...deliveryGaveUp(job, err));
      else logger.child({ jobId: job?.id }).warn({ attempt: job?.attemptsMade, err: err.message }, failedLine(job));
      if (job?.finishedOn) ended(job);
      if (hooks && job?.name === HOOKED_JOB && job.finishedOn) hooks.report(job, 'failed');
    });
    each.on('completed', (job) => {
      ended(job);
      // Celery's "succeeded in 0.002s"; a crawl's pages at debug (its end has a line of its own).
      const ms = (job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now());
      const level = job.name === PAGE_JOB ? 'debug' : 'info';
      logger[level](
        { jobId: job.id, type: queue, durationMs: ms },
        `${queue} job ${job.id} succeeded in ${(ms / 1000).toFixed(3)}s`,
      );
      if (hooks && job.name === HOOKED_JOB) hooks.report(job, 'completed');
    });
    each.on('error', (err) => {
      // Redis away: the connection said so (once, then every 30 s); BullMQ's own errors of it add nothing.
      if (redisAway()) return;
      if (err.message === lastError.message && Date.now() - lastError.at < 60_000) return;
      lastError = { message: err.message, at: Date.now() };
      logger.error({ err: err.message }, 'worker error');
    });
  }
  const metrics = workerMetrics(workers);
  crawl?.register(metrics);
  await crawl?.listenForCancels(workers);
  await Promise.all(workers.map((each) => each.waitUntilReady()));
  logger.info({ concurrency, queues: names }, 'worker ready');

  return {
    worker,
    workers,
    queue,
    concurrency,
    metrics,
    async close(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      // Pages a crawl worker handed on in-process are waited for like its jobs.
      const closed = Promise.all([...workers.map((each) => each.close()), crawl?.quiesce()]).then(() => true as const);
      const finished = await Promise.race([closed, timedOut]);
      clearTimeout(timer);
      if (!finished) {
        // worker.close(true) does not stop a processor that ignores it, so nothing here waits
        // for those jobs: their locks lapse and the stalled-job check hands them to another worker.
        logger.warn(
          { timeoutMs, jobs: [...active] },
          'active jobs did not finish in time; leaving them to other workers',
        );
        for (const each of workers) void each.close(true).catch(() => {});
      }
      await Promise.race([
        Promise.allSettled([crawl?.close(), threads?.close(), webhook?.close(), hooks?.close(), released.close()]),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
      stopBackLine();
      await quitGracefully(connection);
      return finished;
    },
  };
}

/**
 * A webhook delivery that failed for good, as one `error` line: whose event
 * (crawl or job and its id), the receiver's host and the last answer.
 */
export function deliveryGaveUp(job: Job, err: Error): [Record<string, unknown>, string] {
  const data = (job.data ?? {}) as { url?: string; event?: string; body?: string; tenant?: string };
  // The body begins {"event","id","type",...}: read those without parsing a page's worth of JSON.
  const head = (data.body ?? '').slice(0, 400);
  const id = /"id":"([^"]{1,200})"/.exec(head)?.[1] ?? null;
  const type = /"type":"([^"]{1,40})"/.exec(head)?.[1] ?? null;
  const host = URL.parse(data.url ?? '')?.host ?? null;
  const fields = {
    jobId: job.id,
    event: data.event,
    subject: { type, id },
    host,
    tenant: data.tenant,
    attempts: job.attemptsMade,
    err: err.message,
  };
  return [
    fields,
    `webhook delivery gave up after ${job.attemptsMade} attempts: ${data.event ?? 'event'} of ${type ?? 'job'} ${id ?? '?'} to ${host ?? '?'} (${err.message})`,
  ];
}

/**
 * What a failed attempt means next: `will retry in N ms (attempt i of n)`, or
 * `gave up` once no attempt is left (or the error said trying again cannot help).
 */
export function failedLine(job: Job | undefined): string {
  if (!job) return 'job failed';
  const attempts = job.opts.attempts ?? 1;
  const made = job.attemptsMade;
  if (job.finishedOn || made >= attempts) return `job failed: gave up (attempt ${made} of ${attempts})`;
  const backoff = job.opts.backoff;
  const base = typeof backoff === 'number' ? backoff : (backoff?.delay ?? 0);
  const wait = typeof backoff === 'object' && backoff.type === 'exponential' ? base * 2 ** (made - 1) : base;
  return `job failed: will retry in ${Math.round(wait)} ms (attempt ${made} of ${attempts})`;
}

/** The queues a worker of `kind` serves: its own, and for crawl the page shards (all, or WORKER_SHARDS / --shards). */
export function queueNames(config: Config, kind: string): string[] {
  if (kind !== 'crawl' || config.crawlQueueShards <= 1) return [kind];
  const shards = pageQueueNames(config.crawlQueueShards);
  return ['crawl', ...(config.workerShards ? config.workerShards.map((shard) => shards[shard]) : shards)];
}
