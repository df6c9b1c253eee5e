/**
 * Applies one batch of number changes to the index atomically and checkpoints the batch's
 * seq in the same step, so the index and the checkpoint can never disagree.
 *
 * For every change, affected accounts = accounts listing the number before (index) union
 * after (new doc); they are recorded in the dirty hash (the outbox) under the batch token and
 * returned. A change whose stored value is byte-identical to the new one affects nobody,
 * which makes replays cheap. Fails with INDEX_LOST when the epoch is not the expected one.
 *
 * KEYS: epoch, checkpoints, dirty. ARGV: expected epoch, batch JSON
 * { prefix, db, seq (JSON string or null), token, changes: [{ number, value|null, accounts }] }.
 */
export const COMMIT_BATCH_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('INDEX_LOST')
end
local batch = cjson.decode(ARGV[2])
local p = batch.prefix
local dbKey = p .. ':idx:db:' .. batch.db
local affected = {}
for _, c in ipairs(batch.changes) do
  local numKey = p .. ':idx:num:' .. c.number
  local old = redis.call('GET', numKey)
  local value = c.value
  if value == cjson.null then value = nil end
  if old ~= value then
    if old then
      local o = cjson.decode(old)
      for _, a in ipairs(o.accounts) do
        affected[a] = true
        redis.call('SREM', p .. ':idx:acct:' .. a, c.number)
      end
    end
    if value then
      redis.call('SET', numKey, value)
      redis.call('SADD', dbKey, c.number)
      for _, a in ipairs(c.accounts) do
        affected[a] = true
        redis.call('SADD', p .. ':idx:acct:' .. a, c.number)
      end
    else
      redis.call('DEL', numKey)
      redis.call('SREM', dbKey, c.number)
    end
  end
end
local out = {}
for a, _ in pairs(affected) do
  redis.call('HSET', KEYS[3], a, batch.token)
  out[#out + 1] = a
end
if batch.seq ~= cjson.null and batch.seq ~= nil then
  redis.call('HSET', KEYS[2], batch.db, batch.seq)
end
return out
`;

/** Removes dirty marks only where no later batch re-marked the account. KEYS: dirty. ARGV: token, accounts... */
export const CLEAR_DIRTY_LUA = `
local n = 0
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n
`;

/**
 * An account's numbers, their stored values and the account doc this daemon last wrote (if
 * cached in this epoch) in one step, only from a complete index: one round trip, and no
 * partial list can be read while Redis loses its data or a replay runs.
 * KEYS: epoch, ready, account set. ARGV: number key prefix, doc cache key prefix, account id.
 * Returns false when not ready, else [epoch, cached doc|false, number1, value1|false, ...].
 */
export const READ_ACCOUNT_LUA = `
local epoch = redis.call('GET', KEYS[1])
if not epoch or epoch ~= redis.call('GET', KEYS[2]) then
  return false
end
local out = {epoch, redis.call('GET', ARGV[2] .. epoch .. ':' .. ARGV[3])}
for _, n in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  out[#out + 1] = n
  out[#out + 1] = redis.call('GET', ARGV[1] .. n)
end
return out
`;
