import { luaScript, type RedisClient } from '@crawlfleet/core/runtime';

/*
 * The crawl store's scripts (packages/core/lua/crawl-*.lua: finish-page,
 * cancel, reserve-slots, each naming its KEYS and ARGV). Each runs atomically in Redis, which is
 * what makes "one fetch per URL", "never more than maxPages" and "completed
 * exactly when nothing is pending" hold however many workers race.
 *
 * Keys of one crawl: meta (hash: seed, options, state, times, counters),
 * seen (set of URL hashes ever claimed), done (set of finished page hashes),
 * pages (list of page records), expanded (hash: page hash -> JSON list of the
 * child URLs it claimed, so a retried page re-adds the same children),
 * inflight (hash: URL hash -> "depth url" of every page claimed and not yet
 * finished, which the sweep checks against the frontier; crawl-sweep.ts).
 */

/** A connection with the crawl scripts as commands. */
export type Scripted = RedisClient & {
  cfFinishPage(...args: (string | number)[]): Promise<[string, number]>;
  cfCancel(meta: string, now: string): Promise<string | null>;
  cfReserveSlots(
    crawlKey: string,
    hostKey: string,
    now: number,
    crawlDelayMs: number,
    hostDelayMs: number,
  ): Promise<number>;
};

/** Defines the crawl scripts on `redis` once. */
export function withScripts(redis: RedisClient): Scripted {
  const scripted = redis as Scripted;
  if (typeof scripted.cfFinishPage !== 'function') {
    redis.defineCommand('cfFinishPage', { numberOfKeys: 8, lua: luaScript('crawl-finish-page') });
    redis.defineCommand('cfCancel', { numberOfKeys: 1, lua: luaScript('crawl-cancel') });
    redis.defineCommand('cfReserveSlots', { numberOfKeys: 2, lua: luaScript('crawl-reserve-slots') });
  }
  return scripted;
}
