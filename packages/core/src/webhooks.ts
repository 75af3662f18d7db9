import { createHmac } from 'node:crypto';
import type { Queue } from 'bullmq';
import { crawlBase } from './crawl-record.js';
import type { RedisClient } from './redis.js';

/** The queue webhook deliveries wait in, served by `--queue webhook` workers. */
export const WEBHOOK_QUEUE = 'webhook';

/** Events a crawl's webhook can ask for. */
export const CRAWL_EVENTS = ['page', 'completed', 'cancelled', 'failed'] as const;
/** Events a job's webhook can ask for. */
export const JOB_EVENTS = ['completed', 'failed'] as const;
export type WebhookEvent = (typeof CRAWL_EVENTS)[number];

/** Deliveries tried at most, with exponential backoff from 1 s. */
export const WEBHOOK_ATTEMPTS = 5;

/** Name of a job submitted with a webhook (its worker looks the webhook up; other jobs cost nothing). */
export const HOOKED_JOB = 'with-webhook';

/** What a client asks for: where to POST which events, signed with `secret`, with extra `headers`. */
export interface WebhookSpec {
  url: string;
  events: string[];
  secret?: string;
  headers?: Record<string, string>;
}

/** A delivery as queued: the exact bytes and headers, so every retry sends the same. */
export interface WebhookDelivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** A set of pending deliveries to leave when this one is delivered or given up. */
  pending?: string;
  /** A set that must be empty before this one is sent (a crawl's end waits for its pages). */
  after?: string;
}

/** Where a job's webhook is kept beside the job (never in its input). */
export function jobWebhookKey(prefix: string, type: string, id: string): string {
  return `${prefix}:webhook:job:{${type}:${id}}`;
}

/** The set of a crawl's page deliveries not yet delivered or given up. */
export function crawlDeliveriesKey(prefix: string, crawlId: string): string {
  return `${crawlBase(prefix, crawlId)}:deliveries`;
}

/**
 * The delivery of `event` for job or crawl `id` of `type`: body
 * `{"event", "id", "type", "data", "timestamp"}` and headers, signed
 * `sha256=<hex HMAC-SHA256(secret, body)>` when the spec has a secret.
 */
export function webhookDelivery(
  spec: WebhookSpec,
  deliveryId: string,
  event: string,
  id: string,
  type: string,
  data: unknown,
  now = Date.now(),
): WebhookDelivery {
  const body = JSON.stringify({ event, id, type, data, timestamp: new Date(now).toISOString() });
  const headers: Record<string, string> = {
    ...spec.headers,
    'content-type': 'application/json',
    'x-crawlfleet-event': event,
    'x-crawlfleet-delivery': deliveryId,
  };
  if (spec.secret)
    headers['x-crawlfleet-signature'] = `sha256=${createHmac('sha256', spec.secret).update(body).digest('hex')}`;
  return { url: spec.url, headers, body };
}

/**
 * Queues a delivery unless `spec` does not ask for `event`. The job id is
 * the delivery id, so queuing one event twice (a retried page) sends it once.
 */
export async function queueDelivery(
  { queue, redis }: { queue: Queue; redis: RedisClient },
  spec: WebhookSpec | null,
  deliveryId: string,
  event: string,
  subject: { id: string; type: string; data: unknown },
  options: { ttlSeconds: number; pending?: string; after?: string },
): Promise<void> {
  if (!spec?.events.includes(event)) return;
  const delivery = webhookDelivery(spec, deliveryId, event, subject.id, subject.type, subject.data);
  if (options.pending) {
    delivery.pending = options.pending;
    await redis.multi().sadd(options.pending, deliveryId).expire(options.pending, options.ttlSeconds).exec();
  }
  if (options.after) delivery.after = options.after;
  await queue.add(event, delivery, {
    jobId: deliveryId,
    attempts: WEBHOOK_ATTEMPTS,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: options.ttlSeconds },
    removeOnFail: { age: options.ttlSeconds },
  });
}
