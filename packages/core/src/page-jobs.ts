import { hash } from 'node:crypto';
import { Job, Queue, type JobsOptions } from 'bullmq';
import type { Config } from './config.js';
import { urlHash, type CrawlStore } from './crawl-store.js';
import type { CrawlPageData } from './crawl-schemas.js';
import { RENDER_QUEUE, queueKeyPrefix } from './job-types.js';
import { quietErrors, type RedisClient } from './redis.js';

/*
 * A recursive crawl's page jobs, owned here: the page queues (the frontier),
 * their jobs' name, ids and options, adding and removing them. The API (seed,
 * cancel) and the crawl workers (children, sweep) call these; nothing else
 * spells a page job.
 */

/** The BullMQ job name of one page of a recursive crawl. */
export const PAGE_JOB = 'crawl-page';

/**
 * The page queues for CRAWL_QUEUE_SHARDS: the `crawl` queue itself for 1,
 * else `crawl-shard-0` … `crawl-shard-<n-1>`, each its own hash slot on a
 * cluster, so a crawl's frontier spreads over the cluster's masters.
 */
export function pageQueueNames(shards: number): string[] {
  return shards <= 1 ? ['crawl'] : Array.from({ length: shards }, (_, shard) => `crawl-shard-${shard}`);
}

/** The shard of a page: by its host, so all pages of a host are on one shard and a crawl's hosts spread. */
export function shardOf(url: string, shards: number): number {
  if (shards <= 1) return 0;
  const host = URL.parse(url)?.host ?? '';
  return Number.parseInt(hash('sha1', host, 'hex').slice(0, 8), 16) % shards;
}

/** The BullMQ job id of a crawl's page: the same URL always gets the same id, so adding it twice adds it once. */
export function pageJobId(crawlId: string, url: string): string {
  return pageJobIdOfHash(crawlId, urlHash(url));
}

function pageJobIdOfHash(crawlId: string, hash: string): string {
  return `page-${crawlId}-${hash}`;
}

type PageJobConfig = Pick<Config, 'resultTtlSeconds' | 'jobAttempts' | 'crawlQueueShards' | 'queuePrefix'>;

/** BullMQ's highest priority number (the lowest priority). */
const MAX_PRIORITY = 2_097_152;

/**
 * Options of a page job: retried with backoff, kept for the result TTL, and
 * prioritized by its place in its crawl (`seq`: the crawl's 1st, 2nd, …
 * page): BullMQ serves the lowest number first, so among crawls sharing the
 * workers each one's next page goes before any crawl's later pages. A
 * 30-page crawl started beside a 3,000-page one is served alongside it,
 * not after it, and two like crawls advance together.
 */
export function pageJobOptions(config: PageJobConfig, crawlId: string, url: string, seq = 1): JobsOptions {
  const keep = { age: config.resultTtlSeconds };
  return {
    jobId: pageJobId(crawlId, url),
    priority: Math.max(1, Math.min(MAX_PRIORITY, Math.round(seq))),
    attempts: config.jobAttempts,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: keep,
    removeOnFail: keep,
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
    this.owned = [...this.queues.filter((queue) => queue !== crawl), this.render];
  }

  /** The queues, by shard. */
  readonly queues: Queue[];

  /** The queue of `url`'s page job: its shard's, or the render queue for a rendered crawl. */
  queueOf(url: string, render: boolean): Queue {
    return render ? this.render : this.queues[shardOf(url, this.queues.length)];
  }

  /**
   * Queues pages of a crawl at `depth`, the first being the crawl's `firstSeq`-th
   * page (its fair place, pageJobOptions): one round trip a shard. `scale`
   * spreads a crawl's places (its tenant's share: crawl-parts' tenantShare).
   */
  async add(crawlId: string, urls: string[], depth: number, render: boolean, firstSeq = 1, scale = 1): Promise<void> {
    const byShard = new Map<Queue, { url: string; seq: number }[]>();
    urls.forEach((url, index) => {
      const queue = this.queueOf(url, render);
      let list = byShard.get(queue);
      if (!list) byShard.set(queue, (list = []));
      list.push({ url, seq: (firstSeq + index) * scale });
    });
    await Promise.all(
      [...byShard].map(([queue, shardUrls]) =>
        queue.addBulk(
          shardUrls.map(({ url, seq }) => ({
            name: PAGE_JOB,
            data: { crawlId, url, depth } satisfies CrawlPageData,
            opts: pageJobOptions(this.config, crawlId, url, seq),
          })),
        ),
      ),
    );
  }

  /** The page's job, or undefined. */
  async job(crawlId: string, url: string, render: boolean): Promise<Job | undefined> {
    return Job.fromId(this.queueOf(url, render), pageJobId(crawlId, url));
  }

  /** The page job's state: BullMQ's, or 'unknown' when there is none. */
  async state(crawlId: string, url: string, render: boolean): Promise<string> {
    return this.queueOf(url, render).getJobState(pageJobId(crawlId, url));
  }

  /**
   * Removes the queued page jobs of a crawl: those it claimed and has not
   * finished (a running one is locked and stays; the crawl's state stops it).
   * @returns how many were removed
   */
  async remove(store: CrawlStore, crawlId: string, render: boolean): Promise<number> {
    let removed = 0;
    for await (const pages of store.inflight(crawlId)) {
      const results = await Promise.all(
        pages.map((page) => this.queueOf(page.url, render).remove(pageJobIdOfHash(crawlId, page.hash))),
      );
      removed += results.filter((result) => result === 1).length;
    }
    return removed;
  }

  /** Closes the queues opened here (not the crawl queue it was given). */
  async close(): Promise<void> {
    await Promise.allSettled(this.owned.map((queue) => queue.close()));
  }
}
