-- Records session ARGV[1] with its expiry ARGV[2] (Unix seconds) in the
-- sorted set KEYS[1] of its user's sessions, drops the entries expired by
-- ARGV[3] (now), and lets the set expire with its last session. ARGV[4] is
-- 'create', or 'save': a save only moves an entry that is still there, so a
-- session ended meanwhile is not listed again.
if ARGV[4] == 'save' and not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('EXPIREAT', KEYS[1], math.floor(tonumber(last[2])) + 1)
end
return 1
