-- Writes a new token record and its TTL in one step, so that no record is
-- ever left without an expiry.
-- KEYS[1]: the token's key. ARGV: family, user, TTL in milliseconds.
redis.call('HSET', KEYS[1], 'family', ARGV[1], 'user', ARGV[2], 'spent', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
