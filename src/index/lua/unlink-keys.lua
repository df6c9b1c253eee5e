--[[
  Unlinks a batch of index keys while the caller holds the lease: how a new epoch drops what
  an old one left (numbers, account and database sets, checkpoints, readiness).

  Input:
    KEYS[1] listener lease
    KEYS[2..] keys to unlink
    ARGV[1] lease owner of the caller

  Output:
    number of keys unlinked
    error NSYNC_LEASE_LOST: the caller no longer holds the lease (nothing unlinked)
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('NSYNC_LEASE_LOST the listener lease is not held by this listener')
end
local n = 0
for i = 2, #KEYS do
  n = n + redis.call('UNLINK', KEYS[i])
end
return n
