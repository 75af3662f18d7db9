--[[
  Takes a hand-out back (its job could not be added): the page returns to the front of its list,
  its lease goes back. Safe when Redis is out of memory: its first write frees (HDEL), after
  which Redis lets the script finish (a script that has written is never stopped half way).
  KEYS[1] lane out hash
  KEYS[2] lane out expiry set
  KEYS[3] lane begun set
  KEYS[4] lane due set
  KEYS[5] the host's leases
  KEYS[6] the crawl's leases on the host
  ARGV[1] lease id
  ARGV[2] lane base
  ARGV[3] now (ms)
  Returns 1 when the page went back, else 0 (it was not out).
]]
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
local crawl, host, entry = string.match(value, '^(%S+) (%S+) (.*)$')
local hb = ARGV[2] .. ':h:' .. host
redis.call('LPUSH', hb .. ':q:' .. crawl, entry)
if not redis.call('ZSCORE', hb .. ':crawls', crawl) then
  local lowest = redis.call('ZRANGE', hb .. ':crawls', 0, 0, 'WITHSCORES')
  redis.call('ZADD', hb .. ':crawls', lowest[2] or 0, crawl)
end
redis.call('ZADD', KEYS[4], 'LT', tonumber(ARGV[3]), host)
return 1
