import { crawlCancelChannel, createRedis, frontierWakeChannel, type Config } from '@crawlfleet/core/runtime';
import type { RedisClient } from '@crawlfleet/core/runtime';
import type { Logger } from 'pino';
import { LinkedAbort } from '@crawlfleet/tasks';

/**
 * The in-flight fetches of this process, by crawl, so that a DELETE of a
 * crawl (a message on the cancel channel) aborts them on every machine.
 */
export class CrawlCancels {
  private readonly running = new Map<string, Set<LinkedAbort>>();
  private subscriber: RedisClient | null = null;
  /** Called when a new crawl's seed joins the frontier (the dispatcher looks at once). */
  onWake: (() => void) | null = null;

  /** Subscribes to the cancel channel. */
  async listen(config: Config, logger: Logger): Promise<void> {
    this.subscriber = createRedis(config, 'blocking', (err) =>
      logger.warn({ err: err.message }, 'crawl cancel listener lost Redis'),
    );
    const wake = frontierWakeChannel(config.queuePrefix);
    this.subscriber.on('message', (channel: string, crawlId: string) => {
      if (channel === wake) return this.onWake?.();
      const scopes = this.running.get(crawlId);
      if (!scopes) return;
      logger.info({ crawlId, fetches: scopes.size }, 'crawl cancelled; aborting its fetches');
      for (const scope of scopes) scope.abort();
    });
    await this.subscriber.subscribe(crawlCancelChannel(config.queuePrefix), wake);
  }

  /** Runs `work` with a signal that aborts when the crawl is cancelled (or `signal` aborts). */
  async run<T>(
    crawlId: string,
    signal: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const scope = new LinkedAbort(signal);
    const scopes = this.running.get(crawlId) ?? new Set();
    this.running.set(crawlId, scopes);
    scopes.add(scope);
    try {
      return await work(scope.signal);
    } finally {
      scope.dispose();
      scopes.delete(scope);
      if (scopes.size === 0) this.running.delete(crawlId);
    }
  }

  close(): void {
    this.subscriber?.disconnect();
  }
}
