-- Writes a new family's first token record and its TTL in one step, so that
-- no record is ever left without an expiry, and names the family in its
-- user's set (what a demotion revokes).
-- KEYS[1]: the token's key; KEYS[2]: the user's family set.
-- ARGV: family, user, token TTL in ms, the family's end (Unix ms), family TTL in ms.
redis.call('HSET', KEYS[1], 'family', ARGV[1], 'user', ARGV[2], 'spent', '0', 'ends', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
-- Each new family ends after every older one: the set lives as long as the newest.
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
