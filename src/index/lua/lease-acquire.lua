--[[
  Takes the listener lease when nobody holds it, or keeps it when the caller still does (e.g.
  a renewal that timed out on the client but reached Redis).

  Input:
    KEYS[1] listener lease
    ARGV[1] lease owner of the caller
    ARGV[2] time-to-live in milliseconds

  Output:
    1 when the caller holds the lease now, 0 when another owner does
]]
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
