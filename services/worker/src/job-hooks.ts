import {
  WEBHOOK_QUEUE,
  createRedis,
  queueKeyPrefix,
  jobWebhookKey,
  jobTenant,
  queueDelivery,
  toJobView,
  type Config,
  type JobType,
  type WebhookSpec,
} from '@crawlfleet/core/runtime';
import { Queue, type Job } from 'bullmq';
import type { RedisClient } from '@crawlfleet/core/runtime';
import type { Logger } from 'pino';

/**
 * Webhook events of jobs submitted with a webhook (named HOOKED_JOB): the
 * worker that finished the job queues `completed`, or `failed` once no
 * attempt is left. The connection opens with the first such job.
 */
export class JobHooks {
  private parts: { redis: RedisClient; queue: Queue } | null = null;

  constructor(
    private readonly config: Config,
    private readonly type: JobType,
    private readonly logger: Logger,
  ) {}

  private open(): { redis: RedisClient; queue: Queue } {
    if (!this.parts) {
      const redis = createRedis(this.config, 'blocking', (err) =>
        this.logger.warn({ err: err.message }, 'webhook events lost Redis'),
      );
      this.parts = {
        redis,
        queue: new Queue(WEBHOOK_QUEUE, {
          connection: redis,
          prefix: queueKeyPrefix(this.config.queuePrefix, WEBHOOK_QUEUE),
        }),
      };
    }
    return this.parts;
  }

  async finished(job: Job, state: 'completed' | 'failed'): Promise<void> {
    const target = this.open();
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
    await this.parts.queue.close();
    this.parts.redis.disconnect();
  }
}
