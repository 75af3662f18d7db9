// A recursive crawl's page queues by name, with no imports: a worker of any kind names them (start-worker.ts)
// without loading the crawl's code, its schemas or the crawler.

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
