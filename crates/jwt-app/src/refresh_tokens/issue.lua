-- Writes a new family's first token record and its TTL in one step, so that
-- no record is ever left without an expiry, and names the family in its
-- user's set (what a demotion revokes).
-- Also writes what "your logins" shows of the family, expiring with its token.
-- KEYS[1]: the token's key; KEYS[2]: the user's family set; KEYS[3]: the
-- family's login record.
-- ARGV: family, user, token TTL in ms, the family's end (Unix ms), family TTL
-- in ms, handle, now (Unix ms), user agent.
redis.call('HSET', KEYS[1], 'family', ARGV[1], 'user', ARGV[2], 'spent', '0', 'ends', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[3], 'handle', ARGV[6], 'created', ARGV[7], 'used', ARGV[7], 'agent', ARGV[8])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
-- Each new family ends after every older one: the set lives as long as the newest.
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
