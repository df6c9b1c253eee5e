--[[
  Marks the index complete after a full replay and, in the same step, records that every
  account must still be reconciled: a session that stops before the reconcile finished
  leaves it pending for the next one.

  Input:
    KEYS[1] listener lease
    KEYS[2] epoch
    KEYS[3] ready
    KEYS[4] reconcile pending
    ARGV[1] lease owner of the caller
    ARGV[2] epoch that was replayed

  Output:
    'OK'
    error NSYNC_LEASE_LOST: the caller no longer holds the lease (nothing written)
    error NSYNC_INDEX_LOST: the epoch changed meanwhile (nothing written)
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('NSYNC_LEASE_LOST the listener lease is not held by this listener')
end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return redis.error_reply('NSYNC_INDEX_LOST the index epoch changed or is missing')
end
redis.call('SET', KEYS[3], ARGV[2])
redis.call('SET', KEYS[4], ARGV[2])
return 'OK'
