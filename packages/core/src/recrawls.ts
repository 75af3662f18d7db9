import type { RedisClient } from './redis.js';
import { crawlKeys, urlHash } from './crawl-record.js';
import type { Validators } from './page-record.js';

/**
 * What a recrawl reads of the crawl it recrawls: each page's validators
 * (kept by FINISH_PAGE), and the pages it no longer reaches.
 */
export class Recrawls {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** What crawl `id` knew of `url` when it fetched it (ETag, Last-Modified, contentHash), or null. */
  async validatorsOf(id: string, url: string): Promise<Validators | null> {
    const stored = await this.redis.hget(crawlKeys(this.prefix, id).validators, urlHash(url));
    return stored === null ? null : (JSON.parse(stored) as Validators);
  }

  /**
   * The pages crawl `oldId` fetched that crawl `id` has not reached (not in its
   * seen-set): a recrawl's removed pages, in batches.
   */
  async *removed(id: string, oldId: string): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(crawlKeys(this.prefix, oldId).validators, cursor, 'COUNT', 500);
      cursor = next;
      const hashes = flat.filter((_, index) => index % 2 === 0);
      if (hashes.length === 0) continue;
      const reached = await this.redis.smismember(crawlKeys(this.prefix, id).seen, ...hashes);
      const urls = hashes.flatMap((_, i) => (reached[i] ? [] : [(JSON.parse(flat[i * 2 + 1]) as Validators).u]));
      if (urls.length) yield urls;
    } while (cursor !== '0');
  }

  /**
   * A completed recrawl's removed pages, counted once (a scan of the old
   * crawl's pages) and kept in its stats; later calls read the count.
   */
  async countRemoved(id: string, oldId: string): Promise<number> {
    const meta = crawlKeys(this.prefix, id).meta;
    const known = await this.redis.hget(meta, 'removed');
    if (known !== null) return Number(known);
    let removed = 0;
    for await (const urls of this.removed(id, oldId)) removed += urls.length;
    await this.redis.hsetnx(meta, 'removed', removed);
    return removed;
  }
}
