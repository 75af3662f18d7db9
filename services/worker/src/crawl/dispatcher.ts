import { PageLostError, SITEMAP_FILE, fleetKeys } from '@crawlfleet/core/runtime';
import type { MemoryWatch, RedisClient } from '@crawlfleet/core/runtime';
import type { Logger } from 'pino';
import { describeFailure } from '../task-failure.js';
import type { CrawlHooks } from './crawl-hooks.js';
import { unfetchedPageRecord, type CrawlStore, type Lane, type PageQueues } from '@crawlfleet/crawl';

/** Most pages handed out in one dispatch step. */
const MAX_BATCH = 200;
/** How long the dispatcher sleeps when a host is due soon, or its queues are full (a finished page wakes it). */
const IDLE_MS = 50;
/**
 * How long it sleeps with nothing in its shards' frontier: pages pushed by
 * other processes are seen this late at most (a new crawl's seed wakes it at
 * once; its own pages wake it), so an idle fleet costs Redis little.
 */
const EMPTY_MS = 500;

/**
 * Feeds a worker's page queues from the frontier: while a queue holds fewer
 * waiting jobs than the worker has slots, it asks the frontier for pages
 * that may be fetched now (each with its host lease) and adds them as jobs.
 * Every worker process runs one per lane it serves; the dispatch step is
 * atomic in Redis, so any number of them share the frontier.
 */
export class Dispatcher {
  private running = false;
  private loop: Promise<void> | null = null;
  private sleeping: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private woken = false;

  constructor(
    private readonly deps: {
      pages: PageQueues;
      lane: Lane;
      shards: number[];
      /** Jobs to keep waiting in each queue: the worker's slots. */
      target: number;
      memory: MemoryWatch;
      store: CrawlStore;
      hooks: CrawlHooks;
      logger: Logger;
      redis: RedisClient;
      prefix: string;
    },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Looks again now (a page finished or was queued here). */
  wake(): void {
    this.woken = true;
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.resolve();
    }
  }

  /** Stops after the step in progress (at most `waitMs`: a step may wait on a Redis that is away). */
  async stop(waitMs = 3000): Promise<void> {
    this.running = false;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    await Promise.race([this.loop, late]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let sleepMs = IDLE_MS;
      try {
        this.woken = false;
        sleepMs = this.deps.memory.pressure ? 1000 : await this.step();
        failures = 0;
      } catch (err) {
        // Redis away: redis.ts says so once; look again, slower each time (at most 2 s).
        failures++;
        sleepMs = Math.min(2000, 100 * 2 ** Math.min(failures, 5));
        if (failures === 1) this.deps.logger.debug({ err: (err as Error).message }, 'frontier dispatch failed');
      }
      if (sleepMs > 0 && !this.woken && this.running) await this.sleep(sleepMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = null;
        resolve();
      }, ms);
      this.sleeping = { timer, resolve };
    }).finally(() => {
      this.sleeping = null;
    });
  }

  /** One round over the shards. @returns how long to sleep (0: more may be handed out at once). */
  private async step(): Promise<number> {
    const { pages, lane, shards, target } = this.deps;
    let sleepMs = EMPTY_MS;
    const counted = new Map<unknown, number>();
    for (const shard of shards) {
      const queue = pages.queueOf(shard, lane === 'r');
      const waiting = counted.get(queue) ?? (await queue.getWaitingCount());
      const room = target - waiting;
      if (room <= 0) {
        counted.set(queue, waiting);
        sleepMs = Math.min(sleepMs, IDLE_MS);
        continue;
      }
      const handed = await pages.frontier.dispatch(shard, lane, Math.min(room, MAX_BATCH));
      counted.set(queue, waiting + handed.pages.length);
      if (handed.pages.length) {
        try {
          await pages.enqueue(handed.pages);
        } catch (err) {
          // Not added (Redis out of memory, or away): the pages go back at once, not when their claims lapse.
          await Promise.allSettled(handed.pages.map((page) => pages.frontier.unhand(page)));
          throw err;
        }
        await this.list(handed.pages.map((page) => page.host));
      }
      for (const { crawlId, entry } of handed.lost) await this.lost(crawlId, entry.url, entry.depth, entry.tries);
      // A full batch may leave more due now; else sleep until the next host is due.
      if (handed.pages.length === Math.min(room, MAX_BATCH)) sleepMs = 0;
      else if (handed.nextDueMs >= 0) sleepMs = Math.min(sleepMs, Math.max(1, handed.nextDueMs));
    }
    return sleepMs;
  }

  /** When this process last listed each host in the fleet's host set. */
  private readonly listed = new Map<string, number>();

  /** Lists hosts served in the fleet's host set (/metrics reads their leases and pauses), every 10 s a host. */
  private async list(hosts: string[]): Promise<void> {
    const now = Date.now();
    const fresh = [...new Set(hosts)].filter((host) => now - (this.listed.get(host) ?? 0) >= 10_000);
    if (fresh.length === 0) return;
    if (this.listed.size > 10_000) this.listed.clear();
    for (const host of fresh) this.listed.set(host, now);
    const { redis, prefix } = this.deps;
    await redis.zadd(fleetKeys(prefix).hosts, ...fresh.flatMap((host) => [now, host]));
  }

  /** Records a page whose claim lapsed `tries` times (its jobs kept ending without a record). */
  private async lost(crawlId: string, url: string, depth: number, tries: number): Promise<void> {
    const why = `ended without a record ${tries} times`;
    const error = describeFailure(new PageLostError(why)).message;
    this.deps.logger.warn({ crawlId, url, error }, 'crawl page lost; recorded as failed');
    const record = unfetchedPageRecord(url, depth, error);
    // A lost sitemap file is passed over (no record: it is not a page).
    const file = url.startsWith(SITEMAP_FILE);
    const { ended } = await this.deps.store.finish(crawlId, url, record, file ? 'sitemap' : 'failed', []);
    await this.deps.hooks.pageFinished(crawlId, file ? null : record, ended);
  }
}
