--[[
  Starts a new, empty index generation, once the keys of the old one were unlinked: no
  checkpoints, not ready, no reconcile pending.

  Input:
    KEYS[1] listener lease
    KEYS[2] epoch
    KEYS[3] ready
    KEYS[4] checkpoints hash
    KEYS[5] reconcile pending
    ARGV[1] lease owner of the caller
    ARGV[2] the new epoch

  Output:
    'OK'
    error NSYNC_LEASE_LOST: the caller no longer holds the lease (nothing written)
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('NSYNC_LEASE_LOST the listener lease is not held by this listener')
end
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
redis.call('SET', KEYS[2], ARGV[2])
return 'OK'
