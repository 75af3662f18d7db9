--[[
  A crawl stops (cancelled): its queued pages leave the lane's lists. Pages handed out run and
  find the crawl stopped.
  KEYS[1] the crawl's hash in the lane
  KEYS[2] the crawl's hosts in the lane
  ARGV[1] lane base
  ARGV[2] crawl id
  Returns the number of pages dropped.
]]
local dropped = 0
for _, host in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local hb = ARGV[1] .. ':h:' .. host
  dropped = dropped + redis.call('LLEN', hb .. ':q:' .. ARGV[2])
  redis.call('DEL', hb .. ':q:' .. ARGV[2])
  redis.call('ZREM', hb .. ':crawls', ARGV[2])
end
redis.call('DEL', KEYS[2])
if dropped > 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'n', -dropped) end
return dropped
