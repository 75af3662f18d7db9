import type { Validators } from './page-record.js';
import { canonicalUrl, crawlKeys, urlHash, type RedisClient } from '@crawlfleet/core/runtime';

/**
 * What a recrawl reads of the crawl it recrawls: each page's validators
 * (kept by FINISH_PAGE), the links it found, and the pages it no longer
 * reaches. A crawl from before canonical URLs (no `urlForm` in its meta)
 * knows its pages by their URLs as written: they are mapped to their
 * canonical form, so a reordered query is not a new page and a removed one.
 */
export class Recrawls {
  /** Per old crawl from before canonical URLs: canonical URL hash → its own hash, where they differ. */
  private readonly aliases = new Map<string, Promise<Map<string, string> | null>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** What crawl `id` knew of `url` (canonical) when it fetched it (ETag, Last-Modified, contentHash), or null. */
  async validatorsOf(id: string, url: string): Promise<Validators | null> {
    const stored = await this.redis.hget(crawlKeys(this.prefix, id).validators, await this.hashIn(id, url));
    return stored === null ? null : (JSON.parse(stored) as Validators);
  }

  /** The links crawl `id` claimed from `url` (canonical), or null when it did not finish that page. */
  async linksOf(id: string, url: string): Promise<string[] | null> {
    const claimed = await this.redis.hget(crawlKeys(this.prefix, id).expanded, await this.hashIn(id, url));
    return claimed === null ? null : (JSON.parse(claimed) as string[]);
  }

  /** The hash crawl `id` knows the canonical `url` by. */
  private async hashIn(id: string, url: string): Promise<string> {
    const hash = urlHash(url);
    return (await this.legacyAliases(id))?.get(hash) ?? hash;
  }

  /** null for a crawl with canonical URLs; else its aliases, read once a process (a scan of its pages). */
  private legacyAliases(id: string): Promise<Map<string, string> | null> {
    let aliases = this.aliases.get(id);
    if (!aliases) {
      if (this.aliases.size >= 16) this.aliases.clear();
      aliases = this.readAliases(id);
      this.aliases.set(id, aliases);
      aliases.catch(() => this.aliases.delete(id));
    }
    return aliases;
  }

  private async readAliases(id: string): Promise<Map<string, string> | null> {
    const keys = crawlKeys(this.prefix, id);
    if ((await this.redis.hget(keys.meta, 'urlForm')) === 'canonical') return null;
    const aliases = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(keys.validators, cursor, 'COUNT', 500);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) {
        const written = (JSON.parse(flat[i + 1]) as Validators).u;
        const canonical = canonicalUrl(written);
        if (canonical !== written) aliases.set(urlHash(canonical), flat[i]);
      }
    } while (cursor !== '0');
    return aliases;
  }

  /**
   * The pages crawl `oldId` fetched that crawl `id` has not reached (not in its
   * seen-set): a recrawl's removed pages, in batches.
   */
  async *removed(id: string, oldId: string): AsyncGenerator<string[]> {
    const legacy = (await this.legacyAliases(oldId)) !== null;
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(crawlKeys(this.prefix, oldId).validators, cursor, 'COUNT', 500);
      cursor = next;
      const pages = [];
      for (let i = 0; i < flat.length; i += 2) {
        const url = (JSON.parse(flat[i + 1]) as Validators).u;
        pages.push({ url, hash: legacy ? urlHash(canonicalUrl(url)) : flat[i] });
      }
      if (pages.length === 0) continue;
      const reached = await this.redis.smismember(crawlKeys(this.prefix, id).seen, ...pages.map((page) => page.hash));
      const urls = pages.flatMap((page, i) => (reached[i] ? [] : [page.url]));
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
