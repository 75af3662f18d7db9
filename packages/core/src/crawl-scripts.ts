/*
 * Lua scripts of the crawl store. Each runs atomically in Redis, which is
 * what makes "one fetch per URL", "never more than maxPages" and "completed
 * exactly when nothing is pending" hold however many workers race.
 *
 * Keys of one crawl: meta (hash: seed, options, state, times, counters),
 * seen (set of URL hashes ever claimed), done (set of finished page hashes),
 * pages (list of page records), expanded (hash: page hash -> JSON list of the
 * child URLs it claimed, so a retried page re-adds the same children).
 */

/**
 * Finishes a page: records it, claims its new children, updates the counters.
 * KEYS: meta, seen, done, pages, expanded
 * ARGV: pageHash, recordJson, outcome (fetched|failed|skipped), ttlSeconds, now,
 *       then triples childHash, childUrl, allowed (1 = fetch, 0 = skip)
 * Returns the JSON list of claimed child URLs (the stored one if the page was
 * already finished).
 */
export const FINISH_PAGE = `
local meta, seen, done, pages, expanded = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
if redis.call('SADD', done, ARGV[1]) == 0 then
  return redis.call('HGET', expanded, ARGV[1]) or '[]'
end
local state = redis.call('HGET', meta, 'state')
if not state then return '[]' end
redis.call('RPUSH', pages, ARGV[2])
redis.call('HINCRBY', meta, ARGV[3], 1)
local claimed = {}
if state == 'running' then
  local maxPages = tonumber(redis.call('HGET', meta, 'maxPages'))
  local queued = tonumber(redis.call('HGET', meta, 'queued'))
  local discovered, skipped = 0, 0
  for i = 6, #ARGV, 3 do
    if redis.call('SADD', seen, ARGV[i]) == 1 then
      discovered = discovered + 1
      if ARGV[i + 2] == '1' and queued < maxPages then
        queued = queued + 1
        claimed[#claimed + 1] = ARGV[i + 1]
      else
        skipped = skipped + 1
      end
    end
  end
  redis.call('HSET', meta, 'queued', queued)
  redis.call('HINCRBY', meta, 'discovered', discovered)
  redis.call('HINCRBY', meta, 'skipped', skipped)
  redis.call('HINCRBY', meta, 'pending', #claimed)
end
local pending = redis.call('HINCRBY', meta, 'pending', -1)
if pending <= 0 and state == 'running' then
  redis.call('HSET', meta, 'state', 'completed', 'finishedAt', ARGV[5])
end
local encoded = '[]'
if #claimed > 0 then encoded = cjson.encode(claimed) end
redis.call('HSET', expanded, ARGV[1], encoded)
local ttl = tonumber(ARGV[4])
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ttl) end
return encoded
`;

/**
 * Stops a running crawl. KEYS: meta. ARGV: now.
 * Returns the state before: running, completed, cancelled, or false if unknown.
 */
export const CANCEL = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return false end
if state == 'running' then
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finishedAt', ARGV[1])
end
return state
`;

/**
 * Politeness: at most one request per delay to a host, for all workers.
 * KEYS: the host's next-slot key. ARGV: now, delayMs.
 * Returns 0 when the caller may fetch now (and takes the slot), else the ms
 * to wait before asking again.
 */
export const RESERVE_HOST_SLOT = `
local now, delay = tonumber(ARGV[1]), tonumber(ARGV[2])
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
if next > now then return next - now end
redis.call('SET', KEYS[1], now + delay, 'PX', delay + 1000)
return 0
`;
