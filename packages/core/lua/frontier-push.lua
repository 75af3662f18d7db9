--[[
  Queues pages of one crawl in one lane of one frontier shard (all keys in the shard's slot).
  Each page waits in its (crawl, host) list; a host with work is in the lane's due set; a crawl
  with work on a host is in the host's crawl set, scored by its pass (stride scheduling: the
  lowest pass is served next, and serving adds the crawl's stride).
  KEYS[1] lane due set (host -> time it may next be served)
  KEYS[2] the crawl's hash in the lane (stride, delay, cap, n = pages queued or out)
  KEYS[3] the crawl's hosts in the lane (a set)
  ARGV[1] lane base (key prefix of the lane's per-host keys)
  ARGV[2] crawl id
  ARGV[3] now (ms)
  ARGV[4] stride (the crawl's tenant's share: 1 for a tenant's only crawl at weight 1)
  ARGV[5] the crawl's delayMs (0: none)
  ARGV[6] the crawl's maxConcurrencyPerHost (0: none)
  ARGV[7] ttl (seconds) of the crawl's frontier keys
  ARGV[8] 1 to put the pages at the front of their lists (a page going back), else 0
  ARGV[9..] host, entry pairs
  Returns the number of pages queued.
]]
local base, crawl, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local ttl = tonumber(ARGV[7])
local front = ARGV[8] == '1'
redis.call('HSET', KEYS[2], 'stride', ARGV[4], 'delay', ARGV[5], 'cap', ARGV[6])
local count = 0
for i = 9, #ARGV, 2 do
  local host, entry = ARGV[i], ARGV[i + 1]
  local hostBase = base .. ':h:' .. host
  local list = hostBase .. ':q:' .. crawl
  if front then redis.call('LPUSH', list, entry) else redis.call('RPUSH', list, entry) end
  redis.call('EXPIRE', list, ttl)
  local crawls = hostBase .. ':crawls'
  if not redis.call('ZSCORE', crawls, crawl) then
    -- A crawl joining a host starts at the host's lowest pass: no burst for arriving late.
    local lowest = redis.call('ZRANGE', crawls, 0, 0, 'WITHSCORES')
    redis.call('ZADD', crawls, lowest[2] or 0, crawl)
  end
  redis.call('EXPIRE', crawls, ttl)
  redis.call('SADD', KEYS[3], host)
  redis.call('ZADD', KEYS[1], 'LT', now, host)
  count = count + 1
end
redis.call('HINCRBY', KEYS[2], 'n', count)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[3], ttl)
return count
