import { crawlEndChannel, createRedis, type Config, type RedisClient } from '@crawlfleet/core/runtime';

/** Where a lost connection is told (the API's logger). */
export interface CrawlLogger {
  warn(details: object, message: string): void;
}

/** Ended crawl ids remembered for waits registered just after the message. */
const RECENT_LIMIT = 10_000;

/**
 * A crawl's end, pushed: the crawl worker that finishes a crawl's last page
 * (and the API that cancels one) publishes its id on one channel, and
 * `?wait`, the event stream and with them the CLI learn of it at once, with
 * one subscriber connection for every waiting request instead of a poll each.
 */
export class CrawlEnds {
  private readonly waiting = new Map<string, Set<() => void>>();
  private readonly recent = new Set<string>();
  private readonly subscriber: RedisClient;

  constructor(config: Config, logger: CrawlLogger) {
    this.subscriber = createRedis(config, 'blocking', (err) =>
      logger.warn({ err: err.message }, 'crawl ends: Redis unreachable; retrying'),
    );
    this.subscriber.on('message', (_channel: string, id: string) => this.settle(id));
    // Subscribed again by ioredis after a reconnect; a message missed meanwhile is found by the waits' reads.
    this.subscriber.subscribe(crawlEndChannel(config.queuePrefix)).catch(() => {});
  }

  private settle(id: string): void {
    this.recent.add(id);
    if (this.recent.size > RECENT_LIMIT) this.recent.delete(this.recent.values().next().value!);
    const callbacks = this.waiting.get(id);
    if (!callbacks) return;
    this.waiting.delete(id);
    for (const callback of callbacks) callback();
  }

  /** Resolves when crawl `id` ends (or ended just before), or after `ms`. */
  wait(id: string, ms: number): Promise<void> {
    if (this.recent.has(id) || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const callbacks = this.waiting.get(id) ?? new Set();
      this.waiting.set(id, callbacks);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        callbacks.delete(done);
        if (callbacks.size === 0) this.waiting.delete(id);
        resolve();
      }, ms);
      callbacks.add(done);
    });
  }

  close(): void {
    for (const callbacks of this.waiting.values()) for (const callback of callbacks) callback();
    this.waiting.clear();
    this.subscriber.disconnect();
  }
}
