--[[
  Drops a deleted database's checkpoint and number set (its numbers were removed before, by
  commits of empty values).

  Input:
    KEYS[1] listener lease
    KEYS[2] checkpoints hash
    KEYS[3] set of the numbers indexed from the database
    ARGV[1] lease owner of the caller
    ARGV[2] database name

  Output:
    'OK'
    error NSYNC_LEASE_LOST: the caller no longer holds the lease (nothing written)
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('NSYNC_LEASE_LOST the listener lease is not held by this listener')
end
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[3])
return 'OK'
