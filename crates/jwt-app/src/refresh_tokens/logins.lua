-- The live families of a user for "your logins", read in one step so that
-- none is half-revoked meanwhile: in the user's set, not revoked, and with a
-- login record (which expires with the family's newest token). Read only:
-- the set itself expires with the user's newest family.
-- KEYS[1]: the user's family set.
-- ARGV[1]: the prefix of family (revocation) keys; ARGV[2]: of login records.
-- Returns, per live family: family, handle, created (ms), last used (ms),
-- milliseconds left, user agent.
local out = {}
for _, family in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. family) == 0 then
    local login_key = ARGV[2] .. family
    local r = redis.call('HMGET', login_key, 'handle', 'created', 'used', 'agent')
    local left = redis.call('PTTL', login_key)
    if r[1] and left > 0 then
      table.insert(out, family)
      table.insert(out, r[1])
      table.insert(out, r[2])
      table.insert(out, r[3])
      table.insert(out, tostring(left))
      table.insert(out, r[4] or '')
    end
  end
end
return out
