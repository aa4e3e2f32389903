-- Takes one back from KEYS[1..ARGV[1]] and deletes the rest of KEYS.
local give_back = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if i <= give_back then
    if redis.call('DECR', key) <= 0 then
      redis.call('DEL', key)
    end
  else
    redis.call('DEL', key)
  end
end
return 0
