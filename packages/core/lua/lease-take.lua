--[[
  Takes a lease in a set of leases scored by expiry, if fewer than the cap are
  live (webhook deliveries: a receiver host's, a tenant's).
  KEYS: the leases (a sorted set, scored by expiry)
  ARGV: now (ms), expiry (ms), cap, token
  Returns 0 when taken, else the ms until the soonest live lease expires.
]]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(first[2]) - tonumber(ARGV[1]))
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) - tonumber(ARGV[1]) + 1000)
return 0
