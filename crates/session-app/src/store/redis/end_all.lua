-- Ends every session in the sorted set KEYS[1] of a user's sessions but
-- ARGV[1] ('' for none): each session's key (the bare session id) and its
-- entry go in one atomic step, so a sign-out everywhere ends all or none.
-- Answers how many sessions were still there.
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local ended = 0
for _, id in ipairs(ids) do
  if id ~= ARGV[1] then
    ended = ended + redis.call('DEL', id)
    redis.call('ZREM', KEYS[1], id)
  end
end
return ended
