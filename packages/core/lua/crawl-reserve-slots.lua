--[[
  Politeness: a request slot per delay, for all workers. KEYS: the crawl's
  slot for the host, the host's slot. ARGV: now, crawlDelayMs, hostDelayMs
  (0: that slot does not apply). Takes both slots, or neither.
  Returns 0 when the caller may fetch now, else the ms to wait.
]]
local now = tonumber(ARGV[1])
local wait = 0
for i = 1, 2 do
  if tonumber(ARGV[i + 1]) > 0 then
    local next = tonumber(redis.call('GET', KEYS[i]) or '0')
    if next - now > wait then wait = next - now end
  end
end
if wait > 0 then return wait end
for i = 1, 2 do
  local delay = tonumber(ARGV[i + 1])
  if delay > 0 then redis.call('SET', KEYS[i], now + delay, 'PX', delay + 1000) end
end
return 0
