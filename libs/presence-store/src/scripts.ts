/**
 * Lua scripts: every change of presence state is one atomic script, and a script that turns a
 * user online or offline appends that transition to the outbox in the same step. So several
 * presence workers may run at once: a transition happens exactly once, and is never lost
 * between the state change and its announcement. A user's public status (the `status` key)
 * turns online with their first session and offline only after a grace period without one.
 *
 * KEYS[1] is the node set (a sorted set, nodeKey → last heartbeat ms); the other keys derive
 * from ARGV[1], the key base, which carries a {hash tag} so all keys share one cluster slot.
 * Entries: a node's set holds "userId|sessionId", a user's set holds "nodeKey|sessionId".
 */

const HELPERS = `
local base = ARGV[1]
local function userKey(user) return base .. ':user:' .. user end
local function nodeKey(node) return base .. ':node:' .. node end
local function seenKey(user) return base .. ':seen:' .. user end
local function statusKey(user) return base .. ':status:' .. user end
local candidates = base .. ':leaving'
-- A user's transitions carry a version that only grows: the later of (last + 1) and the server's
-- clock in ms, so it keeps growing after Redis lost its data too. Edges drop a transition whose
-- version is not above the last one they saw (a stale one published late or twice).
local function nextVersion(user)
  local key = base .. ':version:' .. user
  local now = redis.call('TIME')
  local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  local version = math.max(tonumber(redis.call('GET', key) or '0') + 1, ms)
  redis.call('SET', key, string.format('%d', version))
  return version
end
local function announce(user, status, at)
  local event = { userId = user, status = status, version = nextVersion(user) }
  if status == 'offline' then event.lastSeen = tonumber(at) end
  redis.call('RPUSH', base .. ':outbox', cjson.encode(event))
end
local function addSession(node, user, session)
  redis.call('SADD', nodeKey(node), user .. '|' .. session)
  redis.call('SADD', userKey(user), node .. '|' .. session)
  redis.call('ZREM', candidates, user)
  if redis.call('GET', statusKey(user)) ~= 'online' then
    redis.call('SET', statusKey(user), 'online')
    announce(user, 'online')
    return 1
  end
  return 0
end
local function removeSession(node, user, session, at)
  redis.call('SREM', nodeKey(node), user .. '|' .. session)
  local removed = redis.call('SREM', userKey(user), node .. '|' .. session)
  if removed == 1 and redis.call('SCARD', userKey(user)) == 0 then
    -- Not offline yet: only if no session comes back within the grace period (settle).
    redis.call('ZADD', candidates, at, user)
  end
  return 0
end
local function split(entry)
  local bar = string.find(entry, '|', 1, true)
  return string.sub(entry, 1, bar - 1), string.sub(entry, bar + 1)
end
`;

/** ARGV: base, node, user, session, at → 1 if the user came online. */
export const CONNECT = `${HELPERS}
redis.call('ZADD', KEYS[1], ARGV[5], ARGV[2])
return addSession(ARGV[2], ARGV[3], ARGV[4])
`;

/** ARGV: base, node, user, session, at. A user left without sessions becomes an offline candidate. */
export const DISCONNECT = `${HELPERS}
return removeSession(ARGV[2], ARGV[3], ARGV[4], ARGV[5])
`;

/**
 * ARGV: base, node, at, sessionCount → 1 if the node must re-announce its sessions: it is
 * unknown here (Redis lost its data, or the node was taken for dead) yet holds sessions.
 */
export const HEARTBEAT = `${HELPERS}
local known = redis.call('ZSCORE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
if (not known) and tonumber(ARGV[4]) > 0 and redis.call('SCARD', nodeKey(ARGV[2])) == 0 then return 1 end
return 0
`;

/**
 * ARGV: base, node, at, then "userId|sessionId" for every live session of the node. Makes the
 * node's sessions exactly these: stale ones leave, missing ones join.
 */
export const SNAPSHOT = `${HELPERS}
local node = ARGV[2]
local at = ARGV[3]
local live = {}
for i = 4, #ARGV do live[ARGV[i]] = true end
local changed = 0
for _, entry in ipairs(redis.call('SMEMBERS', nodeKey(node))) do
  if not live[entry] then
    local user, session = split(entry)
    removeSession(node, user, session, at)
  end
end
for entry in pairs(live) do
  local user, session = split(entry)
  changed = changed + addSession(node, user, session)
end
redis.call('ZADD', KEYS[1], at, node)
return changed
`;

/**
 * ARGV: base, cutoff → the number of nodes swept. A node whose last heartbeat is older than the
 * cutoff is dead: its sessions end as of that heartbeat.
 */
export const SWEEP = `${HELPERS}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'WITHSCORES')
for i = 1, #dead, 2 do
  local node = dead[i]
  local lastBeat = dead[i + 1]
  for _, entry in ipairs(redis.call('SMEMBERS', nodeKey(node))) do
    local user, session = split(entry)
    removeSession(node, user, session, lastBeat)
  end
  redis.call('DEL', nodeKey(node))
  redis.call('ZREM', KEYS[1], node)
end
return #dead / 2
`;

/**
 * ARGV: base, cutoff → users announced offline. A candidate whose last session ended before the
 * cutoff and who has none now goes offline, last seen when that session ended. The grace between
 * the two keeps a reload, or a connect that reaches the queue after another device's disconnect,
 * from flapping.
 */
export const SETTLE = `${HELPERS}
local due = redis.call('ZRANGEBYSCORE', candidates, '-inf', ARGV[2], 'WITHSCORES')
local settled = 0
for i = 1, #due, 2 do
  local user = due[i]
  local at = due[i + 1]
  redis.call('ZREM', candidates, user)
  if redis.call('SCARD', userKey(user)) == 0 and redis.call('GET', statusKey(user)) == 'online' then
    redis.call('DEL', statusKey(user))
    redis.call('SET', seenKey(user), at)
    announce(user, 'offline', at)
    settled = settled + 1
  end
end
return settled
`;

/** KEYS[1] outbox, KEYS[2] lock; ARGV: token, lockMs, max → up to max entries if the lock is ours. */
export const CLAIM_OUTBOX = `
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
end
return false
`;

/** KEYS[1] outbox, KEYS[2] lock; ARGV: token, count → drops the published entries and the lock. */
export const RELEASE_OUTBOX = `
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
`;
