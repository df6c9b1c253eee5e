--[[
  Clears "reconcile pending" once every account database was enqueued for a rebuild.

  Input:
    KEYS[1] listener lease
    KEYS[2] reconcile pending
    ARGV[1] lease owner of the caller
    ARGV[2] epoch that was reconciled (a mark of another epoch stays)

  Output:
    1 when cleared, 0 when it was not pending for this epoch
    error NSYNC_LEASE_LOST: the caller no longer holds the lease (nothing written)
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('NSYNC_LEASE_LOST the listener lease is not held by this listener')
end
if redis.call('GET', KEYS[2]) == ARGV[2] then
  return redis.call('DEL', KEYS[2])
end
return 0
