-- Adds one to every key if all are below their caps; else changes nothing
-- and answers the longest wait (ms) until the keys at their caps reopen.
-- KEYS: the counters. ARGV[1]: the window in ms; ARGV[1 + i]: the cap of KEYS[i].
local wait = 0
for i, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n >= tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = tonumber(ARGV[1]) end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then
  return wait
end
for _, key in ipairs(KEYS) do
  -- The first count opens the key's window.
  if redis.call('INCR', key) == 1 then
    redis.call('PEXPIRE', key, ARGV[1])
  end
end
return 0
