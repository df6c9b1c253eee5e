--[[
  Extends the listener lease, only while the caller holds it.

  Input:
    KEYS[1] listener lease
    ARGV[1] lease owner of the caller
    ARGV[2] time-to-live in milliseconds

  Output:
    1 when renewed, 0 when the lease is not the caller's (expired, taken, or lost by Redis)
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
