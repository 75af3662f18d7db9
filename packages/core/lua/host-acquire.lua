--[[
  Takes a lease on the host (and on the crawl's share of it) unless the host
  is paused or the crawl's circuit for it is open.
  A request that finds none free joins the host's line (a sorted set by the
  time it first asked) and learns its place, so it can come back about when
  its turn is due instead of asking again and again.
  Every key is in the host's hash slot (a script may touch one slot of a
  cluster); the crawl's waiting set and the fleet's host set are written
  by the caller after it.
  KEYS: host leases, crawl leases (= host leases for a job), host pause, crawl circuit, host hold time, host line
  ARGV: now, lease id, ttl ms, host cap, crawl cap, the asker's id
  Returns {0, 1 when the asker had been in line} leased, {1, ms} paused, {2, ms} circuit open,
  {3, average lease ms, place in line} none free.
]]
local now = tonumber(ARGV[1])
local paused = redis.call('PTTL', KEYS[3])
if paused > 0 then return {1, paused} end
local openUntil = tonumber(redis.call('HGET', KEYS[4], 'openUntil') or '0')
if openUntil > now then return {2, openUntil - now} end
local ttl = tonumber(ARGV[3])
for i = 1, 2 do
  if i == 1 or KEYS[2] ~= KEYS[1] then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[3 + i]) then
      redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - 3600000)
      redis.call('ZADD', KEYS[6], 'NX', now, ARGV[6])
      redis.call('PEXPIRE', KEYS[6], 3600000)
      local hold = math.ceil(tonumber(redis.call('GET', KEYS[5]) or '20'))
      return {3, hold, redis.call('ZRANK', KEYS[6], ARGV[6])}
    end
  end
end
for i = 1, 2 do
  if i == 1 or KEYS[2] ~= KEYS[1] then
    redis.call('ZADD', KEYS[i], now + ttl, ARGV[2])
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return {0, redis.call('ZREM', KEYS[6], ARGV[6])}
