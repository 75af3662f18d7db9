--[[
  Hands out pages that may be fetched now, each with a lease on its host taken in the same step.
  First returns pages whose frontier claim expired (their job was lost: a killed worker) to their
  lists, or reports them lost after too many tries. Then walks the hosts due now, oldest first:
  a paused host, one spaced by Crawl-delay, or one with no free lease is put back at the time it
  may go again (a released lease wakes it sooner); else its crawls are served by lowest pass
  (round-robin, weighted by stride), skipping a crawl within its delayMs or at its own cap.
  All keys are in the shard's slot.
  KEYS[1] lane due set
  KEYS[2] lane out hash (lease id -> "crawl host entry")
  KEYS[3] lane out expiry set (lease id -> when its claim lapses)
  KEYS[4] shard sequence (lease ids)
  KEYS[5] lane begun set (lease ids whose job started)
  ARGV[1] lane base
  ARGV[2] host base (the shard's politeness keys: <host base><host>:leases, :pause, :next, :crawl-delay)
  ARGV[3] now (ms)
  ARGV[4] most pages to hand out
  ARGV[5] host cap (CRAWL_HOST_CONCURRENCY)
  ARGV[6] lease ttl (ms)
  ARGV[7] claim ttl (ms)
  ARGV[8] tries before a page whose claims keep lapsing is lost
  ARGV[9] shard name (in lease ids)
  ARGV[10] one host to serve ('' for every host due): a lease given back passes on to its host's next page,
           and lapsed claims are left to the dispatchers' own steps
  ARGV[11] 'ahead' with ARGV[10]: claim the host's next page without a lease, for the lease of a request in
           flight to pass to when its response is in; only a crawl without its own cap or delayMs, on a host
           neither paused nor spaced by Crawl-delay, and the host's place in the due set is left as it is
  Returns {handed out {id, crawl, host, entry}..., lost {crawl, host, entry}..., ms until the next host is due (-1: none)}.
]]
local base, hostBase, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local most, hostCap = tonumber(ARGV[4]), tonumber(ARGV[5])
local leaseTtl, claimTtl, maxTries = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local out, lost = {}, {}

local function requeue(crawl, host, entry)
  local hb = base .. ':h:' .. host
  redis.call('LPUSH', hb .. ':q:' .. crawl, entry)
  if not redis.call('ZSCORE', hb .. ':crawls', crawl) then
    local lowest = redis.call('ZRANGE', hb .. ':crawls', 0, 0, 'WITHSCORES')
    redis.call('ZADD', hb .. ':crawls', lowest[2] or 0, crawl)
  end
  redis.call('ZADD', KEYS[1], 'LT', now, host)
end

local only = ARGV[10] or ''
local ahead = only ~= '' and ARGV[11] == 'ahead'

-- Lapsed claims: back to the front of their list with one more try, or lost.
local lapsed = {}
if only == '' then lapsed = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 100) end
for _, id in ipairs(lapsed) do
  local value = redis.call('HGET', KEYS[2], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('SREM', KEYS[5], id)
  if value then
    local crawl, host, depth, tries, rest = string.match(value, '^(%S+) (%S+) (%d+) (%d+) (.*)$')
    if crawl then
      tries = tonumber(tries) + 1
      local entry = depth .. ' ' .. tries .. ' ' .. rest
      if tries >= maxTries then
        redis.call('HINCRBY', base .. ':c:' .. crawl, 'n', -1)
        lost[#lost + 1] = {crawl, host, entry}
      else
        requeue(crawl, host, entry)
      end
    end
  end
end

local hosts
if only == '' then
  hosts = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 200)
else
  local due = redis.call('ZSCORE', KEYS[1], only)
  hosts = (due and (ahead or tonumber(due) <= now)) and {only} or {}
end

-- A claim on a page handed out: its id (the lease id when it takes a lease), in the out hash until it ends.
local function claim(crawl, host, entry)
  local id = ARGV[9] .. '-' .. redis.call('INCR', KEYS[4])
  redis.call('HSET', KEYS[2], id, crawl .. ' ' .. host .. ' ' .. entry)
  redis.call('ZADD', KEYS[3], now + claimTtl, id)
  return id
end

-- The host's next page, claimed for a lease in flight (ARGV[11]): the same turns, without a lease of its own.
local function claimAhead(host, hb, crawls)
  if tonumber(redis.call('GET', hb .. ':crawl-delay') or '0') > 0 then return end
  local nextFor = base .. ':h:' .. host .. ':next'
  local candidates = redis.call('ZRANGE', crawls, 0, 7, 'WITHSCORES')
  for i = 1, #candidates, 2 do
    local crawl = candidates[i]
    local opts = redis.call('HMGET', base .. ':c:' .. crawl, 'stride', 'delay', 'cap')
    local notBefore = tonumber(redis.call('HGET', nextFor, crawl) or '0')
    if notBefore <= now and tonumber(opts[2] or '0') == 0 and tonumber(opts[3] or '0') == 0 then
      local list = base .. ':h:' .. host .. ':q:' .. crawl
      local entry = redis.call('LPOP', list)
      local at = entry and string.match(entry, '^@(%d+) ')
      if at and tonumber(at) > now then
        -- A retry waiting for its backoff: back where it was, for the dispatchers.
        redis.call('LPUSH', list, entry)
        return
      end
      if not entry then
        redis.call('ZREM', crawls, crawl)
        return
      end
      if at then entry = string.sub(entry, #at + 3) end
      if redis.call('LLEN', list) == 0 then
        redis.call('ZREM', crawls, crawl)
      else
        redis.call('ZADD', crawls, tonumber(candidates[i + 1]) + tonumber(opts[1] or '1'), crawl)
      end
      out[#out + 1] = {claim(crawl, host, entry), crawl, host, entry}
      return
    end
  end
end
for _, host in ipairs(hosts) do
  if #out >= most then break end
  local hb = hostBase .. host
  local crawls = base .. ':h:' .. host .. ':crawls'
  local later = nil
  local paused = redis.call('PTTL', hb .. ':pause')
  local spaced = tonumber(redis.call('GET', hb .. ':next') or '0')
  if ahead then
    if paused <= 0 and spaced <= now then claimAhead(host, hb, crawls) end
  elseif paused > 0 then
    later = now + paused
  elseif spaced > now then
    later = spaced
  else
    local leases = hb .. ':leases'
    redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
    local free = hostCap - redis.call('ZCARD', leases)
    local hostDelay = tonumber(redis.call('GET', hb .. ':crawl-delay') or '0')
    local nextFor = base .. ':h:' .. host .. ':next'
    local skips, backoff = 0, nil
    while #out < most do
      if free <= 0 then
        local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
        later = tonumber(first[2] or (now + leaseTtl))
        break
      end
      local candidates = redis.call('ZRANGE', crawls, 0, 7, 'WITHSCORES')
      if #candidates == 0 then break end
      local pick, pass, stride, delay, crawlLeases, capOf = nil, 0, 1, 0, nil, 0
      local soonest = nil
      for i = 1, #candidates, 2 do
        local crawl = candidates[i]
        local opts = redis.call('HMGET', base .. ':c:' .. crawl, 'stride', 'delay', 'cap')
        local notBefore = tonumber(redis.call('HGET', nextFor, crawl) or '0')
        local cap = tonumber(opts[3] or '0')
        local own = hb .. ':crawl:' .. crawl .. ':leases'
        local blocked = false
        if notBefore > now then
          blocked = true
          if not soonest or notBefore < soonest then soonest = notBefore end
        elseif cap > 0 then
          redis.call('ZREMRANGEBYSCORE', own, '-inf', now)
          if redis.call('ZCARD', own) >= cap then
            blocked = true
            local first = redis.call('ZRANGE', own, 0, 0, 'WITHSCORES')
            local at = tonumber(first[2] or (now + leaseTtl))
            if not soonest or at < soonest then soonest = at end
          end
        end
        if not blocked then
          pick, pass = crawl, tonumber(candidates[i + 1])
          stride, delay = tonumber(opts[1] or '1'), tonumber(opts[2] or '0')
          if cap > 0 then crawlLeases = own end
          break
        end
      end
      if not pick then
        later = soonest or (now + 1000)
        break
      end
      local list = base .. ':h:' .. host .. ':q:' .. pick
      local entry = redis.call('LPOP', list)
      -- A page retried after a failure waits for its backoff ('@<ms> ' before the entry) at the list's end.
      local at = entry and string.match(entry, '^@(%d+) ')
      if at and tonumber(at) > now then
        redis.call('RPUSH', list, entry)
        skips = skips + 1
        if not backoff or tonumber(at) < backoff then backoff = tonumber(at) end
        if skips >= 8 then
          later = backoff
          break
        end
      elseif not entry then
        redis.call('ZREM', crawls, pick)
      else
        if at then entry = string.sub(entry, #at + 3) end
        if redis.call('LLEN', list) == 0 then
          redis.call('ZREM', crawls, pick)
        else
          redis.call('ZADD', crawls, pass + stride, pick)
        end
        local id = claim(pick, host, entry)
        redis.call('ZADD', leases, now + leaseTtl, id)
        redis.call('PEXPIRE', leases, leaseTtl)
        if crawlLeases then
          redis.call('ZADD', crawlLeases, now + leaseTtl, id)
          redis.call('PEXPIRE', crawlLeases, leaseTtl)
        end
        if delay > 0 then
          redis.call('HSET', nextFor, pick, now + delay)
          redis.call('PEXPIRE', nextFor, 3600000)
        end
        out[#out + 1] = {id, pick, host, entry}
        free = free - 1
        if hostDelay > 0 then
          redis.call('SET', hb .. ':next', now + hostDelay, 'PX', hostDelay + 1000)
          later = now + hostDelay
          break
        end
      end
    end
  end
  if redis.call('ZCARD', crawls) == 0 then
    redis.call('ZREM', KEYS[1], host)
  elseif later then
    redis.call('ZADD', KEYS[1], later, host)
  end
end

local nextDue = -1
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then nextDue = math.max(0, tonumber(first[2]) - now) end
return {out, lost, nextDue}
