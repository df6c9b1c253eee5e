--[[
  Applies one page of number changes to the index and moves the database's checkpoint in the
  same step, so the index and the checkpoint can never disagree. Affected accounts (accounts
  listing the number before, from the index, union after, from the new doc) are marked in the
  outbox under the page's token and returned. A change whose stored value is byte-identical
  affects nobody, which makes replays cheap.

  Input:
    KEYS[1] listener lease
    KEYS[2] epoch
    KEYS[3] checkpoints hash
    KEYS[4] dirty hash (the outbox)
    KEYS[5] set of the numbers indexed from this database
    KEYS[5 + i] key of the i-th change's number
    ARGV[1] lease owner of the caller
    ARGV[2] epoch the caller indexes into
    ARGV[3] account set key prefix (an account's key is the prefix followed by its id; the
            accounts that listed a number before are only known here, from its stored value)
    ARGV[4] batch JSON { db, seq (JSON string) | null, token,
            check (boolean), since (JSON string) | null,
            changes: [{ number, value (stored JSON) | null, accounts }] }
            With check, the page is applied only if the stored checkpoint still is `since`
            (null: none stored): the position the caller read the page from.

  Output:
    array of affected account ids
    error NSYNC_LEASE_LOST: the caller no longer holds the lease (nothing written)
    error NSYNC_INDEX_LOST: the epoch is not the caller's (nothing written)
    error NSYNC_CHECKPOINT_MOVED: the checkpoint is not where the caller read from (nothing
      written): an earlier page of the caller was lost (a Redis failover or restart dropped
      the last writes), or someone else moved it; the caller reads again from the checkpoint
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('NSYNC_LEASE_LOST the listener lease is not held by this listener')
end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return redis.error_reply('NSYNC_INDEX_LOST the index epoch changed or is missing')
end
local batch = cjson.decode(ARGV[4])
if batch.check then
  local expected = batch.since
  if expected == cjson.null then expected = false end
  if redis.call('HGET', KEYS[3], batch.db) ~= expected then
    return redis.error_reply('NSYNC_CHECKPOINT_MOVED the checkpoint is not where this page was read from')
  end
end
local acctPrefix = ARGV[3]
local affected = {}
for i, c in ipairs(batch.changes) do
  local numKey = KEYS[5 + i]
  local old = redis.call('GET', numKey)
  local value = c.value
  if value == cjson.null then value = nil end
  if old ~= value then
    if old then
      local o = cjson.decode(old)
      for _, a in ipairs(o.accounts) do
        affected[a] = true
        redis.call('SREM', acctPrefix .. a, c.number)
      end
    end
    if value then
      redis.call('SET', numKey, value)
      redis.call('SADD', KEYS[5], c.number)
      for _, a in ipairs(c.accounts) do
        affected[a] = true
        redis.call('SADD', acctPrefix .. a, c.number)
      end
    else
      redis.call('DEL', numKey)
      redis.call('SREM', KEYS[5], c.number)
    end
  end
end
local out = {}
for a, _ in pairs(affected) do
  redis.call('HSET', KEYS[4], a, batch.token)
  out[#out + 1] = a
end
if batch.seq ~= cjson.null and batch.seq ~= nil then
  redis.call('HSET', KEYS[3], batch.db, batch.seq)
end
return out
