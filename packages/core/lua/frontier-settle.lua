--[[
  A page's claim ends: finished (its record is written), or going back to a list (requeued
  elsewhere by the caller first). Its host lease, if still held (a page that never fetched),
  goes back and wakes the host.
  KEYS[1] lane out hash
  KEYS[2] lane out expiry set
  KEYS[3] lane due set
  KEYS[4] the host's leases
  KEYS[5] the crawl's leases on the host
  KEYS[6] lane's begun set
  ARGV[1] lease id
  ARGV[2] lane base
  ARGV[3] now (ms)
  ARGV[4] host
  ARGV[5] 1 to leave the lease to lapse (an earlier run of the page may still be using it), or passed on
  ARGV[6] the host lease the page holds when not its claim id (a lease passed to it), else ''
  Returns 1 when the claim was out, else 0.
]]
local value = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[6], ARGV[1])
local lease = ARGV[6] ~= '' and ARGV[6] or ARGV[1]
if ARGV[5] ~= '1' and redis.call('ZREM', KEYS[4], lease) == 1 then
  redis.call('ZREM', KEYS[5], lease)
  redis.call('ZADD', KEYS[3], 'XX', 'LT', tonumber(ARGV[3]), ARGV[4])
end
if not value then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local crawl = string.match(value, '^(%S+)')
redis.call('HINCRBY', ARGV[2] .. ':c:' .. crawl, 'n', -1)
return 1
