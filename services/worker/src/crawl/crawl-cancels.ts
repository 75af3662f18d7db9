import { crawlCancelChannel, createRedis } from '@crawlfleet/core/runtime';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The in-flight fetches of this process, by crawl, so that a DELETE of a
 * crawl (a message on the cancel channel) aborts them on every machine.
 */
export class CrawlCancels {
  private readonly running = new Map<string, Set<AbortController>>();
  private subscriber: Redis | null = null;

  /** Subscribes to the cancel channel. */
  async listen(redisUrl: string, prefix: string, logger: Logger): Promise<void> {
    this.subscriber = createRedis(redisUrl, 'blocking', (err) => logger.warn({ err: err.message }, 'crawl cancel listener lost Redis'));
    this.subscriber.on('message', (_channel: string, crawlId: string) => {
      const controllers = this.running.get(crawlId);
      if (!controllers) return;
      logger.info({ crawlId, fetches: controllers.size }, 'crawl cancelled; aborting its fetches');
      for (const controller of controllers) controller.abort();
    });
    await this.subscriber.subscribe(crawlCancelChannel(prefix));
  }

  /** Runs `work` with a signal that aborts when the crawl is cancelled (or `signal` aborts). */
  async run<T>(crawlId: string, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const controllers = this.running.get(crawlId) ?? new Set();
    this.running.set(crawlId, controllers);
    controllers.add(controller);
    try {
      return await work(signal ? AbortSignal.any([signal, controller.signal]) : controller.signal);
    } finally {
      controllers.delete(controller);
      if (controllers.size === 0) this.running.delete(crawlId);
    }
  }

  close(): void {
    this.subscriber?.disconnect();
  }
}
