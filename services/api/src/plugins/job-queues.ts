import { JOB_QUEUES, JOB_TYPES, type JobQueueName, type JobType } from '@crawlfleet/tasks/kinds';
import {
  RENDER_QUEUE,
  WEBHOOK_QUEUE,
  cancelChannel,
  createRedis,
  onRedisBack,
  MemoryWatch,
  quietErrors,
  queueKeyPrefix,
  waitForReplicas,
  NotReplicatedError,
  type Config,
} from '@crawlfleet/core';
import { Job, Queue, QueueEvents } from 'bullmq';
import { quitGracefully, untaggedQueueKey, type RedisClient } from '@crawlfleet/core';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { JobWaiter } from '../jobs/job-waiter.js';
import { PageQueues } from '@crawlfleet/crawl';

/** How long a submission waits for REDIS_WAIT_REPLICAS replicas to confirm it. */
export const REPLICA_WAIT_MS = 1000;
export { MEMORY_PRESSURE } from '@crawlfleet/core';

export type { Job, JobsOptions, Queue, QueueEvents } from 'bullmq';

/** A crawl job with `render: true` is on the render queue, under an id that says so. */
export function isRenderJobId(id: string): boolean {
  return id.startsWith('render-');
}

/**
 * The API's handles on Redis, and the one module of the API that imports
 * bullmq (bull-board's queueAdapters/bullMQ.ts is the model): one BullMQ Queue
 * per job type over one shared fail-fast connection, and one QueueEvents per
 * type (each blocking, so each on its own connection) for `?wait=`. Only
 * BullMQ's public API is used.
 */
export class JobQueues {
  readonly redis: RedisClient;
  private readonly queues = new Map<JobType, Queue>();
  /** Where webhook deliveries wait (a crawl's `cancelled` is queued by the API). */
  private webhookQueue: Queue | null = null;
  /** The crawl frontier's queues (the crawl queue itself unless CRAWL_QUEUE_SHARDS > 1). */
  private pageQueues: PageQueues | null = null;
  private readonly events = new Map<JobQueueName, QueueEvents>();
  private readonly waiters = new Map<JobQueueName, JobWaiter>();
  private readonly eventConnections: RedisClient[] = [];
  /** Redis's used_memory as a share of its maxmemory (0 without maxmemory), read every second. */
  private readonly memory: MemoryWatch;
  /** Stops the "Redis is back" line of this process. */
  private readonly stopBackLine: () => void;

  constructor(
    readonly config: Config,
    logger: FastifyBaseLogger,
  ) {
    const warn = (what: string) => (err: Error) =>
      logger.warn({ err: err.message }, `${what}: Redis unreachable; retrying`);
    this.redis = createRedis(config, 'fail-fast', warn('queues'));
    this.stopBackLine = onRedisBack((downMs) =>
      logger.info({ downMs }, `Redis is back after ${Math.round(downMs / 1000)} s`),
    );
    // BullMQ checks the server version when a Queue is made, and a failed
    // check is final; with no offline queue it would fail while Redis is
    // away, so the queues are made once the connection is first ready.
    this.redis.once('ready', () => {
      for (const type of JOB_TYPES) this.queues.set(type, this.open(type, this.redis));
      this.webhookQueue = this.open(WEBHOOK_QUEUE, this.redis);
      this.pageQueues = new PageQueues(this.redis, config, this.queue('crawl'));
      logger.info('Redis connected: taking jobs');
      void this.untaggedQueues().then((queues) => {
        if (queues.length > 0)
          logger.warn(
            { queues },
            `jobs under the key names before hash tags (${config.queuePrefix}:<queue>:*) are not served: ` +
              'finish them with the version before, then upgrade (docs/operations.md: Redis Cluster)',
          );
      });
    });
    this.memory = new MemoryWatch(this.redis);
    for (const name of JOB_QUEUES) {
      const connection = createRedis(config, 'blocking', warn('queue events'));
      this.eventConnections.push(connection);
      const events = new QueueEvents(name, { connection, prefix: queueKeyPrefix(config.queuePrefix, name) });
      events.on('error', () => {});
      this.events.set(name, events);
      this.waiters.set(name, new JobWaiter(events));
    }
  }

  private open(name: string, connection: RedisClient): Queue {
    return quietErrors(new Queue(name, { connection, prefix: queueKeyPrefix(this.config.queuePrefix, name) }));
  }

  /**
   * The queues that still have keys under the names crawlfleet used before
   * every key was hash-tagged (`prefix:queue:*`, one Redis only): nothing
   * reads them now.
   */
  async untaggedQueues(): Promise<string[]> {
    if (this.config.redisClusterNodes) return [];
    const names = [...JOB_TYPES, WEBHOOK_QUEUE];
    const found = await Promise.all(
      names.map((name) =>
        this.redis
          .exists(
            ...['meta', 'id', 'wait', 'events'].map((key) => untaggedQueueKey(this.config.queuePrefix, name, key)),
          )
          .catch(() => 0),
      ),
    );
    return names.filter((_, index) => found[index] > 0);
  }

  /** Redis's memory use as a share of its maxmemory, as last read. */
  get memoryUse(): number {
    return this.memory.use;
  }

  /** True when Redis is over MEMORY_PRESSURE of its maxmemory: submissions are refused, reads go on. */
  get memoryPressure(): boolean {
    return this.memory.pressure;
  }

  /** True when commands can be sent now; while false, job routes answer 503 at once. */
  get ready(): boolean {
    return this.redis.status === 'ready' && this.queues.size === JOB_TYPES.length;
  }

  queue(type: JobType): Queue {
    return this.queues.get(type)!;
  }

  /** Where a rendered crawl job or page waits for a render worker. */
  get render(): Queue {
    return this.pages.render;
  }

  /** The queue job `id` of `type` is on: its type's, or render for a rendered crawl job. */
  queueOf(type: JobType, id: string): Queue {
    return this.laneOf(type, id) === RENDER_QUEUE ? this.render : this.queue(type);
  }

  private laneOf(type: JobType, id: string | undefined): JobQueueName {
    return type === 'crawl' && id !== undefined && isRenderJobId(id) ? RENDER_QUEUE : type;
  }

  get webhooks(): Queue {
    return this.webhookQueue!;
  }

  /**
   * With REDIS_WAIT_REPLICAS, waits until that many replicas hold what this
   * API wrote to `key`'s Redis (a queue's or a crawl's), so that a job
   * acknowledged to a client survives a failover of that master.
   * @throws NotReplicatedError (503) when they do not confirm in REPLICA_WAIT_MS
   */
  async replicated(...keys: string[]): Promise<void> {
    const replicas = this.config.redisWaitReplicas;
    if (replicas === 0) return;
    const acked = await Promise.all(keys.map((key) => waitForReplicas(this.redis, key, replicas, REPLICA_WAIT_MS)));
    if (acked.some((count) => count < replicas)) throw new NotReplicatedError(replicas, REPLICA_WAIT_MS);
  }

  /** A key in `queue`'s slot (for {@link replicated}). */
  queueKey(queue: string): string {
    return `${queueKeyPrefix(this.config.queuePrefix, queue)}:${queue}:id`;
  }

  /** The crawl frontier's page queues. */
  get pages(): PageQueues {
    return this.pageQueues!;
  }

  /** The page shards' queues when the frontier is sharded (CRAWL_QUEUE_SHARDS > 1), else none. */
  get shards(): Queue[] {
    return this.config.crawlQueueShards > 1 ? this.pages.queues : [];
  }

  /** A job by id through BullMQ's Job.fromId, or undefined. */
  async getJob(type: JobType, id: string): Promise<Job | undefined> {
    return Job.fromId(this.queueOf(type, id), id);
  }

  /** Every queue (job types, render, page shards, webhook) on `connection`, for Bull Board (it takes BullMQ Queues). */
  queuesOn(connection: RedisClient): Queue[] {
    const own = JOB_TYPES.map((type) => this.open(type, connection));
    const pages = new PageQueues(connection, this.config, own[JOB_TYPES.indexOf('crawl')]);
    const shards = this.config.crawlQueueShards > 1 ? pages.queues : [];
    return [...own, pages.render, ...shards, this.open(WEBHOOK_QUEUE, connection)];
  }

  /** The event stream listener (progress, completed, failed) of the queue job `id` is on. */
  queueEvents(type: JobType, id?: string): QueueEvents {
    return this.events.get(this.laneOf(type, id))!;
  }

  waiter(type: JobType, id?: string): JobWaiter {
    return this.waiters.get(this.laneOf(type, id))!;
  }

  /** Asks every worker of `type` to abort job `id` if it is running it. */
  async requestCancel(type: JobType, id: string): Promise<void> {
    await this.redis.publish(cancelChannel(this.config.queuePrefix, type), id);
  }

  async close(): Promise<void> {
    this.stopBackLine();
    this.memory.close();
    await Promise.allSettled([...this.events.values()].map((events) => events.close()));
    const queues = [...this.queues.values(), ...(this.webhookQueue ? [this.webhookQueue] : [])];
    await this.pageQueues?.close();
    await Promise.allSettled(queues.map((queue) => queue.close()));
    for (const connection of this.eventConnections) connection.disconnect();
    await quitGracefully(this.redis);
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
