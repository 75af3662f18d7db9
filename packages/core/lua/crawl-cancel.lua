--[[
  Stops a running crawl. KEYS: meta. ARGV: now.
  Returns the state before: running, completed, cancelled, or false if unknown.
]]
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return false end
if state == 'running' then
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finishedAt', ARGV[1])
end
return state
