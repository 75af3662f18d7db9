--[[
  A page job starts: its claim must still be out (a lapsed one went back to its list and will be
  handed out again: this run does nothing), and its host lease still held and never used by an
  earlier run (a job run again after its worker died or lost its lock: that run's request may
  still be in flight, so its lease keeps counting until it lapses); else the page goes back to
  the front of its list and takes a fresh lease when the host is served.
  Renews the claim while the page runs.
  KEYS[1] lane out hash
  KEYS[2] lane out expiry set
  KEYS[3] the host's leases
  KEYS[4] the crawl's circuit for the host
  KEYS[5] lane's begun set (lease ids whose job started)
  ARGV[1] lease id
  ARGV[2] now (ms)
  ARGV[3] claim ttl (ms)
  ARGV[4] '-' for a page claimed ahead, without a lease yet (a lease in flight passes to it): no lease to check
  Returns {0} claim gone, {1} lease gone, {2, ms} the crawl's circuit for the host is open, {3} go.
]]
local now = tonumber(ARGV[2])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {0} end
if ARGV[4] ~= '-' then
  local expires = redis.call('ZSCORE', KEYS[3], ARGV[1])
  if not expires or tonumber(expires) <= now then return {1} end
end
if redis.call('SADD', KEYS[5], ARGV[1]) == 0 then return {1} end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
local openUntil = tonumber(redis.call('HGET', KEYS[4], 'openUntil') or '0')
if openUntil > now then return {2, openUntil - now} end
return {3}
