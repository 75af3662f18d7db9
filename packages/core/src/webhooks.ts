import { createHmac } from 'node:crypto';
import { crawlKeys } from './keys.js';
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

/** Where a delivery's webhook spec (with its secret and headers) is read at each attempt: a key, or a hash field. */
export interface SpecLocation {
  key: string;
  field?: string;
}

/**
 * A delivery as queued: the exact body and where its spec is, never the
 * secret or the sender's header values (BullMQ job data is shown by the
 * dashboard); headers and signature are made at each attempt.
 */
export interface WebhookDelivery {
  url: string;
  event: string;
  body: string;
  /** Where the spec is read from when the delivery is sent (absent: queued before, with its `headers`). */
  spec?: SpecLocation;
  /** Headers of a delivery queued by a version before this one, sent as they are. */
  headers?: Record<string, string>;
  /** Whose delivery this is (absent: queued before tenants, `default`). */
  tenant?: string;
  /** A set of pending deliveries to leave when this one is delivered or given up. */
  pending?: string;
  /** A set that must be empty before this one is sent (a crawl's end waits for its pages). */
  after?: string;
}

export { jobWebhookKey } from './keys.js';

/** The set of a crawl's page deliveries not yet delivered or given up. */
export function crawlDeliveriesKey(prefix: string, crawlId: string): string {
  return crawlKeys(prefix, crawlId).deliveries;
}

/** The body of a delivery: `{"event", "id", "type", "data", "timestamp"}`. */
export function deliveryBody(event: string, id: string, type: string, data: unknown, now = Date.now()): string {
  return JSON.stringify({ event, id, type, data, timestamp: new Date(now).toISOString() });
}

/** The HMAC key of a secret: the base64 part of a `whsec_` secret (Standard Webhooks), else its UTF-8 bytes. */
function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * The headers of one attempt: the sender's, the event and delivery id, and
 * when the spec has a secret the signatures: Standard Webhooks'
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC of
 * id.timestamp.body>`) and `x-crawlfleet-signature: sha256=<hex HMAC of body>`.
 */
export function deliveryHeaders(
  spec: WebhookSpec,
  deliveryId: string,
  event: string,
  body: string,
  now = Date.now(),
): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  const headers: Record<string, string> = {
    ...spec.headers,
    'content-type': 'application/json',
    'x-crawlfleet-event': event,
    'x-crawlfleet-delivery': deliveryId,
    'webhook-id': deliveryId,
    'webhook-timestamp': timestamp,
  };
  if (spec.secret) {
    const key = signingKey(spec.secret);
    const signed = createHmac('sha256', key).update(`${deliveryId}.${timestamp}.${body}`).digest('base64');
    headers['webhook-signature'] = `v1,${signed}`;
    headers['x-crawlfleet-signature'] = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
  }
  return headers;
}

/** Where deliveries are queued: the webhook queue (a BullMQ Queue), as this module uses it. */
export interface DeliveryQueue {
  add(
    name: string,
    data: WebhookDelivery,
    options: {
      jobId: string;
      attempts: number;
      backoff: { type: 'exponential'; delay: number };
      removeOnComplete: boolean;
      removeOnFail: { age: number };
    },
  ): Promise<unknown>;
}

/**
 * Queues a delivery unless `spec` does not ask for `event`. The job id is
 * the delivery id, so queuing one event twice (a retried page) sends it once.
 * The spec itself stays where it is (`specAt`): the job holds no secret.
 */
export async function queueDelivery(
  { queue, redis }: { queue: DeliveryQueue; redis: RedisClient },
  spec: WebhookSpec | null,
  deliveryId: string,
  event: string,
  subject: { id: string; type: string; data: unknown },
  options: { ttlSeconds: number; specAt: SpecLocation; tenant: string; pending?: string; after?: string },
): Promise<void> {
  if (!spec?.events.includes(event)) return;
  const delivery: WebhookDelivery = {
    url: spec.url,
    event,
    body: deliveryBody(event, subject.id, subject.type, subject.data),
    spec: options.specAt,
    tenant: options.tenant,
  };
  if (options.pending) {
    delivery.pending = options.pending;
    await redis.multi().sadd(options.pending, deliveryId).expire(options.pending, options.ttlSeconds).exec();
  }
  if (options.after) delivery.after = options.after;
  await queue.add(event, delivery, {
    jobId: deliveryId,
    attempts: WEBHOOK_ATTEMPTS,
    backoff: { type: 'exponential', delay: 1000 },
    // Delivered: nothing to keep. Given up: kept for the TTL, so an operator can retry it.
    removeOnComplete: true,
    removeOnFail: { age: options.ttlSeconds },
  });
}
