-- The whole rotation, which Redis runs without interleaving any other
-- command: this is the lock. Of two requests presenting one token, the first
-- marks it spent and writes the successor; the second finds it spent, exactly
-- as a replay, and revokes the family (the winner's new token too: the db
-- store does the same, and must, since it cannot tell a race from a theft).
-- KEYS[1]: the presented token's key; KEYS[2]: its successor's.
-- ARGV[1]: the prefix of family keys; ARGV[2]: the TTL in milliseconds.
-- Returns {'rotated', family, user}, {'replayed', family, user} or {'invalid'}.
local record = redis.call('HMGET', KEYS[1], 'family', 'user', 'spent')
local family, user, spent = record[1], record[2], record[3]
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
redis.call('HSET', KEYS[1], 'spent', '1')
redis.call('HSET', KEYS[2], 'family', family, 'user', user, 'spent', '0')
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {'rotated', family, user}
