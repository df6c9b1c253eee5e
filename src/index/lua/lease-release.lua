--[[
  Gives the listener lease up, only when the caller holds it.

  Input:
    KEYS[1] listener lease
    ARGV[1] lease owner of the caller

  Output:
    1 when released, 0 when the lease was not the caller's
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
