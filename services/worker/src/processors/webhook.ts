import {
  DEFAULT_TENANT,
  deliveryHeaders,
  type Config,
  type WebhookDelivery,
  type WebhookSpec,
} from '@crawlfleet/core/runtime';
import { DeliveryLeases } from './delivery-leases.js';
import { SafeFetcher } from '@crawlfleet/tasks';
import { movedToDelayed, unrecoverable, type Job } from '../bullmq.js';
import type { RedisClient } from '@crawlfleet/core/runtime';

/** How long a crawl's end waits for its page deliveries at most, then goes anyway. */
const ORDER_WAIT_MS = 10 * 60_000;
const ORDER_POLL_MS = 200;
/** How long a delivery waits for a lease at most before it looks again. */
const LEASE_POLL_MS = 250;

/**
 * Delivers webhook events: a POST through the crawler's address guard with
 * the spec's headers and signature made for this attempt (the spec, with
 * its secret, is read where it is kept, never from the job), with
 * WEBHOOK_TIMEOUT_MS; a non-2xx answer or a failure throws, so BullMQ retries
 * with backoff. A delivery that must come after others (a crawl's end after
 * its pages) waits in the delayed set, not in a slot, while they are pending.
 */
export function webhookProcessor(config: Config, redis: RedisClient, slots: number) {
  const leases = new DeliveryLeases(redis, {
    prefix: config.queuePrefix,
    hostCap: config.webhookHostConcurrency,
    // One tenant never holds more than half of this worker's slots.
    tenantCap: Math.max(1, Math.min(config.tenantMaxWebhooksInFlight, Math.floor(slots / 2))),
    deadlineMs: config.webhookTimeoutMs,
  });
  const fetcher = new SafeFetcher({
    userAgent: config.crawlUserAgent,
    timeoutMs: config.webhookTimeoutMs,
    connectTimeoutMs: config.crawlConnectTimeoutMs,
    maxBytes: 64 * 1024,
    maxRedirects: 0,
    allowPrivateNetworks: config.crawlAllowPrivateNetworks,
  });
  /** A delivery's spec, read where its crawl or job keeps it. */
  const specAt = async ({ key, field }: { key: string; field?: string }): Promise<WebhookSpec> => {
    const raw = field ? await redis.hget(key, field) : await redis.get(key);
    if (raw === null) throw unrecoverable('the webhook expired with its crawl or job');
    return JSON.parse(raw) as WebhookSpec;
  };
  return {
    async process(job: Job<WebhookDelivery>, token?: string, signal?: AbortSignal): Promise<{ status: number }> {
      const delivery = job.data;
      if (delivery.after && Date.now() - job.timestamp < ORDER_WAIT_MS && (await redis.scard(delivery.after)) > 0) {
        await job.moveToDelayed(Date.now() + ORDER_POLL_MS, token);
        throw movedToDelayed();
      }
      const lease = await leases.take(delivery.url, delivery.tenant ?? DEFAULT_TENANT);
      if ('waitMs' in lease) {
        // Its receiver or its tenant has all its deliveries in flight: wait in the queue, not in a slot.
        await job.moveToDelayed(Date.now() + Math.min(lease.waitMs, LEASE_POLL_MS), token);
        throw movedToDelayed();
      }
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      try {
        const headers = delivery.spec
          ? deliveryHeaders(await specAt(delivery.spec), String(job.id), delivery.event, delivery.body)
          : (delivery.headers ?? {});
        const status = await fetcher.post(delivery.url, delivery.body, headers, signal);
        if (status < 200 || status >= 300) throw new Error(`${delivery.url} answered HTTP ${status}`);
        if (delivery.pending) await redis.srem(delivery.pending, String(job.id));
        return { status };
      } catch (err) {
        // Given up: what waits for this delivery may go.
        if (lastAttempt && delivery.pending) await redis.srem(delivery.pending, String(job.id));
        throw err;
      } finally {
        await lease.release().catch(() => {});
      }
    },
    close: () => fetcher.close(),
  };
}
