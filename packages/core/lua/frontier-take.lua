--[[
  Takes up to a number of a crawl's queued pages out of a lane (a crawl past a budget: its queued
  pages are dropped without waiting for their hosts' turns).
  KEYS[1] the crawl's hash in the lane
  KEYS[2] the crawl's hosts in the lane
  ARGV[1] lane base
  ARGV[2] crawl id
  ARGV[3] most pages to take
  Returns the entries taken.
]]
local most = tonumber(ARGV[3])
local taken = {}
for _, host in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if #taken >= most then break end
  local hb = ARGV[1] .. ':h:' .. host
  local list = hb .. ':q:' .. ARGV[2]
  local entries = redis.call('LRANGE', list, 0, most - #taken - 1)
  for _, entry in ipairs(entries) do taken[#taken + 1] = entry end
  redis.call('LTRIM', list, #entries, -1)
  if redis.call('LLEN', list) == 0 then
    redis.call('ZREM', hb .. ':crawls', ARGV[2])
    redis.call('SREM', KEYS[2], host)
  end
end
if #taken > 0 then redis.call('HINCRBY', KEYS[1], 'n', -#taken) end
return taken
