-- The whole rotation, which Redis runs without interleaving any other
-- command: this is the lock. Of two requests presenting one token, the first
-- marks it spent and writes the successor; the second finds it spent, exactly
-- as a replay, and revokes the family (the winner's new token too: the db
-- store does the same, and must, since it cannot tell a race from a theft).
-- A revocation (the family's flag) is likewise before or after the whole
-- rotation, never in the middle.
-- KEYS[1]: the presented token's key; KEYS[2]: its successor's.
-- ARGV[1]: the prefix of family keys; ARGV[2]: the TTL in milliseconds;
-- ARGV[3]: now, in Unix milliseconds; ARGV[4]: the prefix of login records,
-- whose last use moves here and which expires with the newest token.
-- Returns {'rotated', family, user, successor TTL in ms},
-- {'replayed', family, user} or {'invalid'}.
local record = redis.call('HMGET', KEYS[1], 'family', 'user', 'spent', 'ends')
local family, user, spent, ends = record[1], record[2], record[3], record[4]
if not family then
  return {'invalid'}
end
local family_key = ARGV[1] .. family
if spent == '1' then
  redis.call('SET', family_key, 'revoked', 'PX', ARGV[2])
  return {'replayed', family, user}
end
if redis.call('EXISTS', family_key) == 1 then
  return {'invalid'}
end
local now = tonumber(ARGV[3])
-- A record written before families had an end: its family ends with it.
if not ends then
  ends = tostring(now + redis.call('PTTL', KEYS[1]))
end
-- The family's absolute end: rotation never extends it.
local left = tonumber(ends) - now
if left <= 0 then
  return {'invalid'}
end
local ttl = math.min(tonumber(ARGV[2]), left)
redis.call('HSET', KEYS[1], 'spent', '1')
redis.call('HSET', KEYS[2], 'family', family, 'user', user, 'spent', '0', 'ends', ends)
redis.call('PEXPIRE', KEYS[2], ttl)
local login_key = ARGV[4] .. family
if redis.call('EXISTS', login_key) == 1 then
  redis.call('HSET', login_key, 'used', ARGV[3])
  redis.call('PEXPIRE', login_key, ttl)
end
return {'rotated', family, user, tostring(ttl)}
