import {
  WEBHOOK_QUEUE,
  createRedis,
  jobWebhookKey,
  jobTenant,
  MemoryWatch,
  MEMORY_PRESSURE,
  queueDelivery,
  toJobView,
  type Config,
  type WebhookSpec,
} from '@crawlfleet/core/runtime';
import { openQueue, type Job, type Queue } from './bullmq.js';
import type { RedisClient } from '@crawlfleet/core/runtime';
import type { Logger } from 'pino';

/** How long a job's webhook event waits for Redis to have memory again, at most. */
const MEMORY_WAIT_LIMIT_MS = 10 * 60_000;

/**
 * Webhook events of jobs submitted with a webhook (named HOOKED_JOB): the
 * worker that finished the job queues `completed`, or `failed` once no
 * attempt is left. The connection opens with the first such job.
 */
export class JobHooks {
  private parts: { redis: RedisClient; queue: Queue; memory: MemoryWatch } | null = null;

  constructor(
    private readonly config: Config,
    private readonly type: string,
    private readonly logger: Logger,
  ) {}

  private open(): { redis: RedisClient; queue: Queue; memory: MemoryWatch } {
    if (!this.parts) {
      const redis = createRedis(this.config, 'blocking', (err) =>
        this.logger.warn({ err: err.message }, 'webhook events lost Redis'),
      );
      this.parts = {
        redis,
        memory: new MemoryWatch(redis),
        queue: openQueue(WEBHOOK_QUEUE, redis, this.config),
      };
    }
    return this.parts;
  }

  async finished(job: Job, state: 'completed' | 'failed'): Promise<void> {
    const target = this.open();
    // Redis short of memory: the event waits (a while at most), it is not written into a full Redis.
    for (let waited = 0; waited < MEMORY_WAIT_LIMIT_MS && (await target.memory.read()) > MEMORY_PRESSURE;)
      waited += await new Promise<number>((resolve) => setTimeout(() => resolve(1000), 1000));
    const { queuePrefix, resultTtlSeconds } = this.config;
    const id = String(job.id);
    const specKey = jobWebhookKey(queuePrefix, this.type, id);
    const raw = await target.redis.get(specKey);
    if (raw === null) return;
    const data = toJobView(this.type, job, state);
    await queueDelivery(
      target,
      JSON.parse(raw) as WebhookSpec,
      `${this.type}-${id}-${state}`,
      state,
      {
        id,
        type: this.type,
        data,
      },
      { ttlSeconds: resultTtlSeconds, specAt: { key: specKey }, tenant: jobTenant(job.data) },
    );
  }

  /** Queues the event, logging rather than throwing (it runs from BullMQ's event handlers). */
  report(job: Job, state: 'completed' | 'failed'): void {
    this.finished(job, state).catch((err: Error) =>
      this.logger.warn({ jobId: job.id, err: err.message }, 'webhook event not queued'),
    );
  }

  async close(): Promise<void> {
    if (!this.parts) return;
    this.parts.memory.close();
    await this.parts.queue.close();
    this.parts.redis.disconnect();
  }
}
