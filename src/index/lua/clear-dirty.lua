--[[
  Removes outbox marks of accounts whose rebuild was enqueued, only where no later page
  re-marked the account (compare-and-delete on the page token).

  Input:
    KEYS[1] listener lease
    KEYS[2] dirty hash (the outbox)
    ARGV[1] lease owner of the caller
    ARGV[2] token of the page that marked the accounts
    ARGV[3..] account ids

  Output:
    number of marks removed
    error NSYNC_LEASE_LOST: the caller no longer holds the lease (nothing removed)
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('NSYNC_LEASE_LOST the listener lease is not held by this listener')
end
local n = 0
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[2] then
    redis.call('HDEL', KEYS[2], ARGV[i])
    n = n + 1
  end
end
return n
