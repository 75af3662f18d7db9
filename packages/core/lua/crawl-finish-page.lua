--[[
  Finishes a page: records it, claims its new children, updates the counters.
  KEYS: meta, seen, done, pages, expanded, inflight, content, validators
  ARGV: pageHash, recordJson, outcome (fetched|failed|skipped|dropped|sitemap: no record), ttlSeconds, now,
        childrenJson (one argument: [[hash, url, allowed (1|0), fromSitemap (1|0), sitemapFile (1|0)], ...]),
        childDepth,
        dropped (links the worker left out, counted as skipped), contentHash ('' for none), pageUrl,
        content (JSON members, '' for none), its bytes, the crawl's byte cap, fallback (members stored instead),
        body bytes fetched, change (new|changed|unchanged, '' outside recrawls), validators JSON ('' for none),
        1 when the page answered 2xx/304 (counted in `answered`: a crawl with none that failed or got 4xx/5xx failed),
        why it failed ('' for none: `HTTP 404`, an error code), counted in the meta's `code:<why>` fields,
        the crawl's most sitemap files (a child with a 5th member 1 is one: `sitemap:<url>`, pending until read)
  outcome `sitemap`: a sitemap file was read (or passed over): no record, no counter but pending.
  validators (page hash -> {u, e, m, h}: URL, ETag, Last-Modified, contentHash) is what a recrawl of this
  crawl asks conditionally with.
  Budgets: past maxBytes (body bytes) or maxDurationMs (since createdAt) the
  crawl gets its stopReason and claims nothing more; its queued pages finish
  as dropped. A link refused for maxPages sets stopReason maxPages (the first
  reason stays).
  A page whose contentHash an earlier page of the crawl had is a duplicate:
  its record gets duplicateOf (that page's URL) and it claims no children.
  A child past maxPages is counted as skipped but never enters the seen-set,
  so the set holds at most maxPages URLs plus those robots.txt refused.
  Returns {the JSON list of claimed child URLs (the stored one if the page was
  already finished), 1 when this page ended the crawl else 0}.
]]
local meta, seen, done, pages = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local expanded, inflight, content = KEYS[5], KEYS[6], KEYS[7]
if redis.call('SADD', done, ARGV[1]) == 0 then
  return {redis.call('HGET', expanded, ARGV[1]) or '[]', 0}
end
local state = redis.call('HGET', meta, 'state')
if not state then return {'[]', 0} end
local record = ARGV[2]
local duplicate = false
if ARGV[9] ~= '' then
  local first = redis.call('HGET', content, ARGV[9])
  if first then
    duplicate = true
    record = string.sub(record, 1, -2) .. ',"duplicateOf":' .. cjson.encode(first) .. '}'
  else
    redis.call('HSET', content, ARGV[9], ARGV[10])
  end
end
if ARGV[11] ~= '' then
  local size = tonumber(ARGV[12])
  if tonumber(redis.call('HGET', meta, 'storedBytes') or '0') + size <= tonumber(ARGV[13]) then
    redis.call('HINCRBY', meta, 'storedBytes', size)
    record = string.sub(record, 1, -2) .. ',' .. ARGV[11] .. '}'
  else
    redis.call('HINCRBY', meta, 'notStored', 1)
    record = string.sub(record, 1, -2) .. ',' .. ARGV[14] .. '}'
  end
end
if ARGV[16] and ARGV[16] ~= '' then redis.call('HINCRBY', meta, ARGV[16], 1) end
if ARGV[17] and ARGV[17] ~= '' then redis.call('HSET', KEYS[8], ARGV[1], ARGV[17]) end
if ARGV[18] == '1' then redis.call('HINCRBY', meta, 'answered', 1) end
if ARGV[19] and ARGV[19] ~= '' then redis.call('HINCRBY', meta, 'code:' .. ARGV[19], 1) end
if ARGV[3] == 'dropped' then
  redis.call('HINCRBY', meta, 'skipped', 1)
elseif ARGV[3] == 'sitemap' then
  -- a sitemap file read (or passed over): no record, its listed pages and files are its children
else
  redis.call('RPUSH', pages, record)
  redis.call('HINCRBY', meta, ARGV[3], 1)
end
local fetchedBytes = redis.call('HINCRBY', meta, 'bytesFetched', tonumber(ARGV[15] or '0'))
local budget = redis.call('HMGET', meta, 'maxBytes', 'maxDurationMs', 'createdAt')
if tonumber(budget[1] or '0') > 0 and fetchedBytes >= tonumber(budget[1]) then
  redis.call('HSETNX', meta, 'stopReason', 'maxBytes')
end
if tonumber(budget[2] or '0') > 0 and tonumber(ARGV[5]) - tonumber(budget[3]) >= tonumber(budget[2]) then
  redis.call('HSETNX', meta, 'stopReason', 'maxDuration')
end
local stopReason = redis.call('HGET', meta, 'stopReason')
local stopped = stopReason == 'maxBytes' or stopReason == 'maxDuration' or stopReason == 'quota'
redis.call('HDEL', inflight, ARGV[1])
redis.call('HSET', meta, 'lastAt', ARGV[5])
local claimed = {}
if state == 'running' and not duplicate and not stopped then
  local maxPages = tonumber(redis.call('HGET', meta, 'maxPages'))
  local queued = tonumber(redis.call('HGET', meta, 'queued'))
  local discovered, skipped, fromSitemaps = 0, tonumber(ARGV[8]), 0
  local depth = ARGV[7]
  for _, child in ipairs(cjson.decode(ARGV[6])) do
    local hash, url, allowed = child[1], child[2], child[3]
    if child[5] == 1 then
      -- a sitemap file ('sitemap:<url>'): pending until read, within the crawl's sitemap files, not a page
      if queued < maxPages and tonumber(redis.call('HGET', meta, 'sitemapFiles') or '0') < tonumber(ARGV[20] or '0')
          and redis.call('SADD', seen, hash) == 1 then
        redis.call('HINCRBY', meta, 'sitemapFiles', 1)
        claimed[#claimed + 1] = url
        redis.call('HSET', inflight, hash, depth .. ' ' .. url)
      end
    elseif queued >= maxPages then
      if redis.call('SISMEMBER', seen, hash) == 0 then
        discovered = discovered + 1
        skipped = skipped + 1
        redis.call('HSETNX', meta, 'stopReason', 'maxPages')
      end
    elseif redis.call('SADD', seen, hash) == 1 then
      discovered = discovered + 1
      if allowed == 1 then
        queued = queued + 1
        claimed[#claimed + 1] = url
        redis.call('HSET', inflight, hash, depth .. ' ' .. url)
        if child[4] == 1 then fromSitemaps = fromSitemaps + 1 end
      else
        skipped = skipped + 1
      end
    end
  end
  redis.call('HSET', meta, 'queued', queued)
  redis.call('HINCRBY', meta, 'discovered', discovered)
  redis.call('HINCRBY', meta, 'skipped', skipped)
  redis.call('HINCRBY', meta, 'pending', #claimed)
  if fromSitemaps > 0 then redis.call('HINCRBY', meta, 'fromSitemaps', fromSitemaps) end
end
local pending = redis.call('HINCRBY', meta, 'pending', -1)
local ended = 0
if pending <= 0 and state == 'running' then
  redis.call('HSET', meta, 'state', 'completed', 'finishedAt', ARGV[5])
  ended = 1
end
local encoded = '[]'
if #claimed > 0 then encoded = cjson.encode(claimed) end
redis.call('HSET', expanded, ARGV[1], encoded)
local ttl = tonumber(ARGV[4])
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ttl) end
return {encoded, ended}
