-- Counts the keys given and the bytes of their names and contents (a string's
-- value, a hash's field names and values, a set's members). A key that expired since SCAN saw
-- it has no type any more and is skipped.
-- KEYS: the keys of one SCAN page. Returns {entries, bytes}.
local entries, bytes = 0, 0
for _, key in ipairs(KEYS) do
  local kind = redis.call('TYPE', key)['ok']
  if kind == 'string' then
    entries = entries + 1
    bytes = bytes + #key + redis.call('STRLEN', key)
  elseif kind == 'hash' then
    entries = entries + 1
    bytes = bytes + #key
    for _, part in ipairs(redis.call('HGETALL', key)) do
      bytes = bytes + #part
    end
  elseif kind == 'set' then
    entries = entries + 1
    bytes = bytes + #key
    for _, member in ipairs(redis.call('SMEMBERS', key)) do
      bytes = bytes + #member
    end
  end
end
return {entries, bytes}
