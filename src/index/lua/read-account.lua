--[[
  An account's numbers, their stored values and the account doc this daemon last wrote (if
  cached in this epoch) in one step, only from a complete index: one round trip, and no
  partial list can be read while Redis loses its data or a replay runs.

  Input:
    KEYS[1] epoch
    KEYS[2] ready
    KEYS[3] the account's set of numbers
    ARGV[1] number key prefix
    ARGV[2] doc cache key prefix (followed by epoch, ':' and the account id)
    ARGV[3] account id

  Output:
    false when the index is not ready,
    else [epoch, cached doc | false, number1, value1 | false, number2, ...]
]]
local epoch = redis.call('GET', KEYS[1])
if not epoch or epoch ~= redis.call('GET', KEYS[2]) then
  return false
end
local out = {epoch, redis.call('GET', ARGV[2] .. epoch .. ':' .. ARGV[3])}
for _, n in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  out[#out + 1] = n
  out[#out + 1] = redis.call('GET', ARGV[1] .. n)
end
return out
