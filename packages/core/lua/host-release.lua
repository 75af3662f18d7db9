--[[
  Gives a lease back and records how the request went: a success resets the
  host's backoff and the crawl's failure count; a failure counts toward the
  circuit (open for ARGV[5] ms at the limit); busy (429/503) pauses the host
  for every worker: ARGV[6] ms when it said (Retry-After), else 1 s doubling.
  It also keeps the host's average lease time (for how long a page without one waits).
  A lease given back wakes the host in the frontier's due sets (it may be served again now).
  KEYS (all in the host's frontier shard's slot): host leases, crawl leases, host busy count, host pause,
  crawl circuit, host hold time, the two lanes' due sets
  ARGV: lease id, ok|failure|busy|busy-failure|other, now, failure limit, open ms, pause ms or -1, max pause ms, ttl, host,
  'keep' (ok only: the lease passes on to the host's next page in the same process and is held for another ttl)
  Returns {pause (busy, else 0), failures in a row, with 'keep' the ms the host is paused for (-1: the lease
  had lapsed)} (the caller lists a circuit it opened for /metrics).
]]
local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
if expires then
  local held = math.max(0, tonumber(ARGV[3]) - (tonumber(expires) - tonumber(ARGV[8])))
  local average = tonumber(redis.call('GET', KEYS[6]) or held)
  redis.call('SET', KEYS[6], tostring(average * 0.9 + held * 0.1), 'PX', 3600000)
end
local outcome, now = ARGV[2], tonumber(ARGV[3])
if ARGV[10] == 'keep' and outcome == 'ok' then
  if not expires then return {0, 0, -1} end
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[8]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[8]))
  redis.call('DEL', KEYS[3])
  redis.call('HDEL', KEYS[5], 'failures')
  return {0, 0, math.max(0, redis.call('PTTL', KEYS[4]))}
end
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[7], 'XX', 'LT', now, ARGV[9])
  redis.call('ZADD', KEYS[8], 'XX', 'LT', now, ARGV[9])
end
redis.call('ZREM', KEYS[2], ARGV[1])
if outcome == 'ok' then
  redis.call('DEL', KEYS[3])
  redis.call('HDEL', KEYS[5], 'failures')
  return {0, 0}
end
local failures = 0
if outcome == 'failure' or outcome == 'busy-failure' then
  failures = redis.call('HINCRBY', KEYS[5], 'failures', 1)
  redis.call('PEXPIRE', KEYS[5], 3600000)
  if failures >= tonumber(ARGV[4]) then
    redis.call('HSET', KEYS[5], 'openUntil', now + tonumber(ARGV[5]))
  end
end
if outcome == 'busy' or outcome == 'busy-failure' then
  local count = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], 3600000)
  local pause = tonumber(ARGV[6])
  if pause < 0 then pause = 1000 * 2 ^ math.min(count - 1, 30) end
  pause = math.min(pause, tonumber(ARGV[7]))
  if pause > 0 and redis.call('PTTL', KEYS[4]) < pause then redis.call('SET', KEYS[4], '1', 'PX', pause) end
  return {pause, failures}
end
return {0, failures}
