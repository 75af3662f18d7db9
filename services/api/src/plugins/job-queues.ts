import { JOB_TYPES, WEBHOOK_QUEUE, cancelChannel, createRedis, type Config, type JobType } from '@crawlfleet/core';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { JobWaiter } from '../jobs/job-waiter.js';

const MEMORY_POLL_MS = 1000;
/** Share of Redis's maxmemory past which submissions get 503 (noeviction would fail them mid-write). */
export const MEMORY_PRESSURE = 0.9;

export type { Job, JobsOptions, Queue, QueueEvents } from 'bullmq';

/**
 * The API's handles on Redis, and the one module of the API that imports
 * bullmq (bull-board's queueAdapters/bullMQ.ts is the model): one BullMQ Queue
 * per job type over one shared fail-fast connection, and one QueueEvents per
 * type (each blocking, so each on its own connection) for `?wait=`. Only
 * BullMQ's public API is used.
 */
export class JobQueues {
  readonly redis: Redis;
  private readonly queues = new Map<JobType, Queue>();
  /** Where webhook deliveries wait (a crawl's `cancelled` is queued by the API). */
  private webhookQueue: Queue | null = null;
  private readonly events = new Map<JobType, QueueEvents>();
  private readonly waiters = new Map<JobType, JobWaiter>();
  private readonly eventConnections: Redis[] = [];
  private readonly memoryTimer: NodeJS.Timeout;
  /** Redis's used_memory as a share of its maxmemory (0 without maxmemory), read every second. */
  memoryUse = 0;

  constructor(
    readonly config: Config,
    logger: FastifyBaseLogger,
  ) {
    const warn = (what: string) => (err: Error) =>
      logger.warn({ err: err.message }, `${what}: Redis unreachable; retrying`);
    this.redis = createRedis(config.redisUrl, 'fail-fast', warn('queues'));
    // BullMQ checks the server version when a Queue is made, and a failed
    // check is final; with no offline queue it would fail while Redis is
    // away, so the queues are made once the connection is first ready.
    this.redis.once('ready', () => {
      for (const type of JOB_TYPES) {
        this.queues.set(type, new Queue(type, { connection: this.redis, prefix: config.queuePrefix }));
      }
      this.webhookQueue = new Queue(WEBHOOK_QUEUE, { connection: this.redis, prefix: config.queuePrefix });
    });
    this.memoryTimer = setInterval(() => void this.readMemory(), MEMORY_POLL_MS);
    this.memoryTimer.unref();
    for (const type of JOB_TYPES) {
      const connection = createRedis(config.redisUrl, 'blocking', warn('queue events'));
      this.eventConnections.push(connection);
      const events = new QueueEvents(type, { connection, prefix: config.queuePrefix });
      events.on('error', () => {});
      this.events.set(type, events);
      this.waiters.set(type, new JobWaiter(events));
    }
  }

  private async readMemory(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    const info = await this.redis.info('memory').catch(() => '');
    const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
    const max = Number(/^maxmemory:(\d+)/m.exec(info)?.[1] ?? 0);
    this.memoryUse = max > 0 ? used / max : 0;
  }

  /** True when Redis is over MEMORY_PRESSURE of its maxmemory: submissions are refused, reads go on. */
  get memoryPressure(): boolean {
    return this.memoryUse > MEMORY_PRESSURE;
  }

  /** True when commands can be sent now; while false, job routes answer 503 at once. */
  get ready(): boolean {
    return this.redis.status === 'ready' && this.queues.size === JOB_TYPES.length;
  }

  queue(type: JobType): Queue {
    return this.queues.get(type)!;
  }

  get webhooks(): Queue {
    return this.webhookQueue!;
  }

  /** A job by id through BullMQ's Job.fromId, or undefined. */
  async getJob(type: JobType, id: string): Promise<Job | undefined> {
    return Job.fromId(this.queue(type), id);
  }

  /** Queues of every job type on `connection`, for Bull Board (whose adapter takes BullMQ Queues). */
  queuesOn(connection: Redis): Queue[] {
    return JOB_TYPES.map((type) => new Queue(type, { connection, prefix: this.config.queuePrefix }));
  }

  /** The queue's event stream listener (progress, completed, failed). */
  queueEvents(type: JobType): QueueEvents {
    return this.events.get(type)!;
  }

  waiter(type: JobType): JobWaiter {
    return this.waiters.get(type)!;
  }

  /** Asks every worker of `type` to abort job `id` if it is running it. */
  async requestCancel(type: JobType, id: string): Promise<void> {
    await this.redis.publish(cancelChannel(this.config.queuePrefix, type), id);
  }

  async close(): Promise<void> {
    clearInterval(this.memoryTimer);
    await Promise.allSettled([...this.events.values()].map((events) => events.close()));
    const queues = [...this.queues.values(), ...(this.webhookQueue ? [this.webhookQueue] : [])];
    await Promise.allSettled(queues.map((queue) => queue.close()));
    for (const connection of this.eventConnections) connection.disconnect();
    this.redis.disconnect();
  }
}

/** Decorates the app with its JobQueues (`app.jobQueues`), closed with the app. */
export default fp(
  async function jobQueues(app: FastifyInstance) {
    app.decorate('jobQueues', new JobQueues(app.config, app.log));
    app.addHook('onClose', async () => app.jobQueues.close());
  },
  { name: 'job-queues' },
);
