-- Counts the keys given and the bytes of their names and contents (a string's
-- value, a hash's field names and values, a set's members). A key that expired since SCAN saw
-- it has no type any more and is skipped.
-- KEYS: the keys of one SCAN page. Returns {entries, bytes}.
local entries, bytes = 0, 0
-- The command that lists a container's parts.
local parts_of = {hash = 'HGETALL', set = 'SMEMBERS'}
for _, key in ipairs(KEYS) do
  local kind = redis.call('TYPE', key)['ok']
  if kind == 'string' then
    entries = entries + 1
    bytes = bytes + #key + redis.call('STRLEN', key)
  elseif parts_of[kind] then
    entries = entries + 1
    bytes = bytes + #key
    for _, part in ipairs(redis.call(parts_of[kind], key)) do
      bytes = bytes + #part
    end
  end
end
return {entries, bytes}
