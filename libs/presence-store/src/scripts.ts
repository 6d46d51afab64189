/**
 * Lua scripts: every change of presence state is one atomic script, and a script that turns a
 * user online or offline appends that transition to the outbox in the same step. So several
 * presence workers may run at once: a transition happens exactly once, and is never lost
 * between the state change and its announcement. A user's public status (the `status` key)
 * turns online with their first session and offline only after a grace period without one.
 *
 * Every key a script touches is declared in KEYS (Redis Cluster routes by them, and Redis
 * documents undeclared keys as unsupported), in the layout `script-keys.ts` builds:
 *   KEYS: nodes, leaving, outbox, then one key per node, then four per user (sessions, status,
 *         seen, version)
 *   ARGV: node count, user count, the node ids, the user ids (in the order of their keys), then
 *         the script's own arguments
 * All keys carry one {hash tag}, so they share a cluster slot. Scripts whose keys depend on data
 * (snapshot, sweep, settle) are given the keys of what the caller read just before; a script
 * that finds an entry whose keys it was not given changes nothing and returns -1, and the
 * caller reads again.
 * Entries: a node's set holds "userId|sessionId", a user's set holds "nodeId|sessionId".
 */

const HELPERS = `
local NODES, LEAVING, OUTBOX = KEYS[1], KEYS[2], KEYS[3]
local nodeCount, userCount = tonumber(ARGV[1]), tonumber(ARGV[2])
local nodeKeys, userKeys = {}, {}
for i = 1, nodeCount do nodeKeys[ARGV[2 + i]] = KEYS[3 + i] end
for i = 1, userCount do
  local k = 3 + nodeCount + (i - 1) * 4
  userKeys[ARGV[2 + nodeCount + i]] = { sessions = KEYS[k + 1], status = KEYS[k + 2], seen = KEYS[k + 3], version = KEYS[k + 4] }
end
-- The script's own arguments start here.
local A = 3 + nodeCount + userCount
local function split(entry)
  local bar = string.find(entry, '|', 1, true)
  return string.sub(entry, 1, bar - 1), string.sub(entry, bar + 1)
end
-- True when every entry of the node's set names a user whose keys were declared.
local function declaredAll(entries)
  for _, entry in ipairs(entries) do
    local user = split(entry)
    if not userKeys[user] then return false end
  end
  return true
end
-- A user's transitions carry a version that only grows: the later of (last + 1) and the server's
-- clock in microseconds, so it keeps growing after Redis lost its data too. Edges drop a
-- transition whose version is not above the last one they saw (a stale one published late or twice).
local function nextVersion(user)
  local key = userKeys[user].version
  local now = redis.call('TIME')
  local us = tonumber(now[1]) * 1000000 + tonumber(now[2])
  local version = math.max(tonumber(redis.call('GET', key) or '0') + 1, us)
  redis.call('SET', key, string.format('%d', version))
  return version
end
local function announce(user, status, at)
  local event = { userId = user, status = status, version = nextVersion(user) }
  if status == 'offline' then event.lastSeen = tonumber(at) end
  redis.call('RPUSH', OUTBOX, cjson.encode(event))
end
local function addSession(node, user, session)
  local keys = userKeys[user]
  redis.call('SADD', nodeKeys[node], user .. '|' .. session)
  redis.call('SADD', keys.sessions, node .. '|' .. session)
  redis.call('ZREM', LEAVING, user)
  if redis.call('GET', keys.status) ~= 'online' then
    redis.call('SET', keys.status, 'online')
    announce(user, 'online')
    return 1
  end
  return 0
end
local function removeSession(node, user, session, at)
  local keys = userKeys[user]
  redis.call('SREM', nodeKeys[node], user .. '|' .. session)
  local removed = redis.call('SREM', keys.sessions, node .. '|' .. session)
  if removed == 1 and redis.call('SCARD', keys.sessions) == 0 then
    -- Not offline yet: only if no session comes back within the grace period (settle).
    redis.call('ZADD', LEAVING, at, user)
  end
  return 0
end
`;

/** One node, one user; ARGV: session, at → 1 if the user came online. */
export const CONNECT = `${HELPERS}
local node, user = ARGV[3], ARGV[4]
redis.call('ZADD', NODES, ARGV[A + 1], node)
return addSession(node, user, ARGV[A])
`;

/** One node, one user; ARGV: session, at. A user left without sessions becomes an offline candidate. */
export const DISCONNECT = `${HELPERS}
return removeSession(ARGV[3], ARGV[4], ARGV[A], ARGV[A + 1])
`;

/**
 * One node; ARGV: at, sessionCount → 1 if the node must re-announce its sessions: it is unknown
 * here (Redis lost its data, or the node was taken for dead) yet holds sessions.
 */
export const HEARTBEAT = `${HELPERS}
local node = ARGV[3]
local known = redis.call('ZSCORE', NODES, node)
redis.call('ZADD', NODES, ARGV[A], node)
if (not known) and tonumber(ARGV[A + 1]) > 0 and redis.call('SCARD', nodeKeys[node]) == 0 then return 1 end
return 0
`;

/**
 * One node, the users of its stored and live sessions; ARGV: at, then "userId|sessionId" for
 * every live session of the node. Makes the node's sessions exactly these: stale ones leave,
 * missing ones join. → users who came online, or -1 (read again).
 */
export const SNAPSHOT = `${HELPERS}
local node = ARGV[3]
local at = ARGV[A]
local stored = redis.call('SMEMBERS', nodeKeys[node])
if not declaredAll(stored) then return -1 end
local live = {}
for i = A + 1, #ARGV do live[ARGV[i]] = true end
local changed = 0
for _, entry in ipairs(stored) do
  if not live[entry] then
    local user, session = split(entry)
    removeSession(node, user, session, at)
  end
end
for entry in pairs(live) do
  local user, session = split(entry)
  changed = changed + addSession(node, user, session)
end
redis.call('ZADD', NODES, at, node)
return changed
`;

/**
 * The nodes read as silent, the users of their sessions; ARGV: cutoff → nodes swept, or -1
 * (read again). A node whose last heartbeat is older than the cutoff is dead: its sessions end
 * as of that heartbeat. A node that beat since the read is left alone.
 */
export const SWEEP = `${HELPERS}
local cutoff = tonumber(ARGV[A])
local dead = {}
for i = 1, nodeCount do
  local node = ARGV[2 + i]
  local lastBeat = redis.call('ZSCORE', NODES, node)
  if lastBeat and tonumber(lastBeat) <= cutoff then
    local entries = redis.call('SMEMBERS', nodeKeys[node])
    if not declaredAll(entries) then return -1 end
    table.insert(dead, { node = node, lastBeat = lastBeat, entries = entries })
  end
end
for _, d in ipairs(dead) do
  for _, entry in ipairs(d.entries) do
    local user, session = split(entry)
    removeSession(d.node, user, session, d.lastBeat)
  end
  redis.call('DEL', nodeKeys[d.node])
  redis.call('ZREM', NODES, d.node)
end
return #dead
`;

/**
 * The users read as due; ARGV: cutoff → users announced offline. A candidate whose last session
 * ended before the cutoff and who has none now goes offline, last seen when that session ended.
 * The grace between the two keeps a reload, or a connect that reaches the queue after another
 * device's disconnect, from flapping.
 */
export const SETTLE = `${HELPERS}
local cutoff = tonumber(ARGV[A])
local settled = 0
for i = 1, userCount do
  local user = ARGV[2 + nodeCount + i]
  local keys = userKeys[user]
  local at = redis.call('ZSCORE', LEAVING, user)
  if at and tonumber(at) <= cutoff then
    redis.call('ZREM', LEAVING, user)
    if redis.call('SCARD', keys.sessions) == 0 and redis.call('GET', keys.status) == 'online' then
      redis.call('DEL', keys.status)
      redis.call('SET', keys.seen, at)
      announce(user, 'offline', at)
      settled = settled + 1
    end
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
