-- Revokes every family in a user's set (a demotion) and empties the set, in
-- one step, so that a login made meanwhile is either revoked or left whole.
-- KEYS[1]: the user's family set.
-- ARGV[1]: the prefix of family keys; ARGV[2]: the TTL in milliseconds, which
-- a revocation flag needs to outlive every token of its family.
-- Returns the families that were not revoked yet.
local live = {}
for _, family in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local family_key = ARGV[1] .. family
  if redis.call('EXISTS', family_key) == 0 then
    redis.call('SET', family_key, 'revoked', 'PX', ARGV[2])
    table.insert(live, family)
  end
  redis.call('SREM', KEYS[1], family)
end
return live
