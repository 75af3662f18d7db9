import { Queue, type JobsOptions } from 'bullmq';
import { Frontier, type CrawlPace, type Dispatched, type Lane } from './frontier.js';
import { PAGE_JOB, pageQueueNames } from './page-queues.js';
import {
  shardOfHost,
  RENDER_QUEUE,
  frontierWakeChannel,
  queueKeyPrefix,
  quietErrors,
  type Config,
  type CrawlPageData,
  type RedisClient,
} from '@crawlfleet/core/runtime';

export { PAGE_JOB, pageQueueNames } from './page-queues.js';

/*
 * A recursive crawl's page jobs, owned here: the page queues (the frontier),
 * their jobs' name, ids and options, adding and removing them. The API (seed,
 * cancel) and the crawl workers (children, sweep) call these; nothing else
 * spells a page job.
 */

/** The shard of a page: by its host, so all pages of a host are on one shard and a crawl's hosts spread. */
export function shardOf(url: string, shards: number): number {
  return shardOfHost(URL.parse(url)?.host ?? '', shards);
}

/** The BullMQ job id of a page handed out under `lease` (each hand-out is its own job). */
export function pageJobId(crawlId: string, lease: string): string {
  return `page-${crawlId}-${lease}`;
}

type PageJobConfig = Pick<
  Config,
  'resultTtlSeconds' | 'jobAttempts' | 'crawlQueueShards' | 'queuePrefix' | 'crawlHostConcurrency' | 'crawlTimeoutMs'
>;

/**
 * Options of a page job: one attempt (a retry goes back through the
 * frontier, which spaces it), removed once it completes (its page record
 * holds the outcome), a failed one kept for the result TTL.
 */
export function pageJobOptions(config: PageJobConfig, crawlId: string, lease: string): JobsOptions {
  return {
    jobId: pageJobId(crawlId, lease),
    attempts: 1,
    removeOnComplete: true,
    removeOnFail: { age: config.resultTtlSeconds },
  };
}

/**
 * The page queues of the fleet: where a page's job goes (a shard, or the
 * render queue for a crawl with `render: true`), and adding, finding and
 * removing page jobs.
 */
export class PageQueues {
  private readonly owned: Queue[];
  /** Where the pages of rendered crawls go. */
  readonly render: Queue;

  /**
   * Opens the page queues on `connection`; `crawl`, the crawl queue when the
   * caller has it open already, is used as the only shard of an unsharded frontier.
   */
  constructor(
    connection: RedisClient,
    private readonly config: PageJobConfig,
    crawl?: Queue,
  ) {
    const names = pageQueueNames(config.crawlQueueShards);
    this.queues = names.map((name) =>
      name === 'crawl' && crawl
        ? crawl
        : quietErrors(new Queue(name, { connection, prefix: queueKeyPrefix(config.queuePrefix, name) })),
    );
    this.render = quietErrors(
      new Queue(RENDER_QUEUE, { connection, prefix: queueKeyPrefix(config.queuePrefix, RENDER_QUEUE) }),
    );
    this.frontier = new Frontier(connection, config);
    this.redis = connection;
    this.owned = [...this.queues.filter((queue) => queue !== crawl), this.render];
  }

  /** The queues, by shard. */
  readonly queues: Queue[];
  /** Where pages wait for their hosts. */
  readonly frontier: Frontier;
  private readonly redis: RedisClient;

  /** The queue a page of shard `shard` runs on: the shard's, or the render queue for a rendered crawl. */
  queueOf(shard: number, render: boolean): Queue {
    return render ? this.render : this.queues[shard % this.queues.length];
  }

  /**
   * Queues pages of a crawl at `depth` in the frontier, where each waits
   * for its host (crawl workers' dispatchers hand them to BullMQ).
   */
  async add(crawlId: string, urls: string[], depth: number, render: boolean, pace: CrawlPace = {}): Promise<void> {
    if (urls.length === 0) return;
    const entries = urls.map((url) => ({ depth, tries: 0, waits: 0, url }));
    await this.frontier.push(crawlId, laneOf(render), entries, pace);
    // A seed wakes the dispatchers at once (an idle one looks twice a second); a worker's own pushes wake its own.
    if (depth === 0) await this.redis.publish(frontierWakeChannel(this.config.queuePrefix), crawlId);
  }

  /** Adds handed-out pages to BullMQ as jobs that can run at once: one round trip a queue. */
  async enqueue(pages: Dispatched[]): Promise<void> {
    const byQueue = new Map<Queue, Dispatched[]>();
    for (const page of pages) {
      const queue = this.queueOf(page.shard, page.lane === 'r');
      let list = byQueue.get(queue);
      if (!list) byQueue.set(queue, (list = []));
      list.push(page);
    }
    await Promise.all(
      [...byQueue].map(([queue, list]) =>
        queue.addBulk(
          list.map((page) => ({
            name: PAGE_JOB,
            data: pageData(page),
            opts: pageJobOptions(this.config, page.crawlId, page.lease),
          })),
        ),
      ),
    );
  }

  /** Drops a stopped crawl's pages still waiting in the frontier. @returns how many */
  async remove(crawlId: string, render: boolean): Promise<number> {
    return this.frontier.drop(crawlId, laneOf(render));
  }

  /** Closes the queues opened here (not the crawl queue it was given). */
  async close(): Promise<void> {
    await Promise.allSettled(this.owned.map((queue) => queue.close()));
  }
}

/** What a handed-out page's job carries (a page run in-process from its hand-out carries the same). */
export function pageData(page: Dispatched): CrawlPageData {
  return {
    crawlId: page.crawlId,
    url: page.entry.url,
    depth: page.entry.depth,
    lease: page.lease,
    host: page.host,
    shard: page.shard,
    lane: page.lane,
    tries: page.entry.tries,
    hostWaits: page.entry.waits,
    ...(page.entry.resume ? { resumeAt: page.entry.resume } : {}),
  };
}

/** The frontier lane of a crawl's pages: rendered or plain. */
export function laneOf(render: boolean): Lane {
  return render ? 'r' : 'p';
}

/** How a crawl's pages are served on their hosts: its tenant's share (`stride`), its delayMs, its own cap. */
export function paceOf(
  options: { delayMs?: number | null; maxConcurrencyPerHost?: number | null },
  maxDelayMs: number,
  stride = 1,
): CrawlPace {
  return {
    stride,
    delayMs: Math.min(options.delayMs ?? 0, maxDelayMs),
    cap: options.maxConcurrencyPerHost ?? null,
  };
}
