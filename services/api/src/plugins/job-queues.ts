import { JOB_TYPES, cancelChannel, createRedis, type Config, type JobType } from '@crawlfleet/core';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import { JobWaiter } from '../jobs/job-waiter.js';

/**
 * The API's handles on Redis: one BullMQ Queue per job type over one shared
 * fail-fast connection, and one QueueEvents per type (each blocking, so each
 * on its own connection) for `?wait=`.
 */
export class JobQueues {
  readonly redis: Redis;
  private readonly queues = new Map<JobType, Queue>();
  private readonly events = new Map<JobType, QueueEvents>();
  private readonly waiters = new Map<JobType, JobWaiter>();
  private readonly eventConnections: Redis[] = [];

  constructor(
    readonly config: Config,
    logger: FastifyBaseLogger,
  ) {
    const warn = (what: string) => (err: Error) => logger.warn({ err: err.message }, `${what}: Redis unreachable; retrying`);
    this.redis = createRedis(config.redisUrl, 'fail-fast', warn('queues'));
    // BullMQ checks the server version when a Queue is made, and a failed
    // check is final; with no offline queue it would fail while Redis is
    // away, so the queues are made once the connection is first ready.
    this.redis.once('ready', () => {
      for (const type of JOB_TYPES) {
        this.queues.set(type, new Queue(type, { connection: this.redis, prefix: config.queuePrefix }));
      }
    });
    for (const type of JOB_TYPES) {
      const connection = createRedis(config.redisUrl, 'blocking', warn('queue events'));
      this.eventConnections.push(connection);
      const events = new QueueEvents(type, { connection, prefix: config.queuePrefix });
      events.on('error', () => {});
      this.events.set(type, events);
      // Job hashes read for ?wait go over the events connection itself, behind its XREAD.
      this.waiters.set(type, new JobWaiter(events, async (jobId) => (await events.getBackend().client).hgetall(events.toKey(jobId))));
    }
  }

  /** True when commands can be sent now; while false, job routes answer 503 at once. */
  get ready(): boolean {
    return this.redis.status === 'ready' && this.queues.size === JOB_TYPES.length;
  }

  queue(type: JobType): Queue {
    return this.queues.get(type)!;
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
    await Promise.allSettled([...this.events.values()].map((events) => events.close()));
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    for (const connection of this.eventConnections) connection.disconnect();
    this.redis.disconnect();
  }
}
