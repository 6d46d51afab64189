import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CLAIM_OUTBOX, CONNECT, DISCONNECT, HEARTBEAT, RELEASE_OUTBOX, SETTLE, SNAPSHOT, SWEEP } from './scripts.js';

export type PresenceStatus = 'online' | 'offline';

export interface UserPresence {
  userId: string;
  status: PresenceStatus;
  /** ISO time the user was last online; absent while online or if never seen. */
  lastSeen?: string;
}

/** An online/offline change, as the scripts record it in the outbox. */
export interface PresenceTransition {
  userId: string;
  status: PresenceStatus;
  /** ms since the epoch, for offline transitions. */
  lastSeen?: number;
  /** Grows with every transition of this user (see scripts.ts `nextVersion`). */
  version: number;
}

export interface LiveSession {
  userId: string;
  sessionId: string;
}

/**
 * How long a drainer holds the outbox. Well above the broker's confirm timeout (10 s), so a drain
 * whose publishes wait for confirms is not overtaken by a second drainer publishing the same
 * entries; and the release trims only while the lock is still the drainer's own.
 */
const OUTBOX_LOCK_MS = 30_000;

/**
 * Presence kept in Redis: which sessions each user has on which edge node, when each node last
 * sent a heartbeat, when each user was last seen. Every change runs as one Lua script (see
 * scripts.ts). Shared by the presence worker (writes), the edge (`presence.query`) and the
 * notifier (is the recipient online?).
 */
/** The scripts, by name; each is defined once per connection and then run by its SHA (EVALSHA). */
const SCRIPTS = {
  connect: { lua: CONNECT, keys: 1 },
  disconnect: { lua: DISCONNECT, keys: 1 },
  heartbeat: { lua: HEARTBEAT, keys: 1 },
  snapshot: { lua: SNAPSHOT, keys: 1 },
  sweep: { lua: SWEEP, keys: 1 },
  settle: { lua: SETTLE, keys: 1 },
  claimOutbox: { lua: CLAIM_OUTBOX, keys: 2 },
  releaseOutbox: { lua: RELEASE_OUTBOX, keys: 2 },
} as const;
type PresenceScript = keyof typeof SCRIPTS;
type ScriptCall = (...keysThenArgs: string[]) => Promise<unknown>;

/**
 * The script as a command of this connection (ioredis `defineCommand`): it sends EVALSHA, and the
 * script's text only once, when the server does not know it yet (NOSCRIPT), not with every event.
 */
function scriptOn(redis: Redis, script: PresenceScript): ScriptCall {
  const name = `chatPresence_${script}`;
  const commands = redis as unknown as Record<string, ScriptCall | undefined>;
  if (!commands[name]) redis.defineCommand(name, { numberOfKeys: SCRIPTS[script].keys, lua: SCRIPTS[script].lua });
  return (commands[name] as ScriptCall).bind(redis);
}

export class PresenceStore {
  readonly #redis: Redis;
  readonly #base: string;
  readonly #nodes: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    // The hash tag puts every presence key in one cluster slot, as multi-key scripts need.
    this.#base = `${prefix}:{presence}`;
    this.#nodes = `${this.#base}:nodes`;
  }

  async connect(node: string, session: LiveSession, atMs: number): Promise<boolean> {
    return (await this.#run('connect', [node, session.userId, session.sessionId, String(atMs)])) === 1;
  }

  /** Ends a session; a user left with none goes offline at the next settle after the grace period. */
  async disconnect(node: string, session: LiveSession, atMs: number): Promise<void> {
    await this.#run('disconnect', [node, session.userId, session.sessionId, String(atMs)]);
  }

  /** Records a heartbeat; true when the node must re-announce its sessions (a snapshot). */
  async heartbeat(node: string, atMs: number, sessionCount: number): Promise<boolean> {
    return (await this.#run('heartbeat', [node, String(atMs), String(sessionCount)])) === 1;
  }

  /** Makes a node's sessions exactly `sessions`; returns how many users came online. */
  async snapshot(node: string, atMs: number, sessions: readonly LiveSession[]): Promise<number> {
    const entries = sessions.map((session) => `${session.userId}|${session.sessionId}`);
    return Number(await this.#run('snapshot', [node, String(atMs), ...entries]));
  }

  /** Ends every session of nodes silent since before `cutoffMs`; returns how many nodes. */
  async sweep(cutoffMs: number): Promise<number> {
    return Number(await this.#run('sweep', [String(cutoffMs)]));
  }

  /** Announces offline every user whose last session ended before `cutoffMs` and who has none now. */
  async settle(cutoffMs: number): Promise<number> {
    return Number(await this.#run('settle', [String(cutoffMs)]));
  }

  /** Each user's status as announced (online through the grace period after their last session). */
  async statusOf(userIds: readonly string[]): Promise<UserPresence[]> {
    if (userIds.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const userId of userIds) {
      pipeline.get(`${this.#base}:status:${userId}`);
      pipeline.get(`${this.#base}:seen:${userId}`);
    }
    const results = (await pipeline.exec()) ?? [];
    return userIds.map((userId, index) => {
      const [statusError, status] = results[index * 2] ?? [];
      const [seenError, seen] = results[index * 2 + 1] ?? [];
      if (statusError) throw statusError;
      if (seenError) throw seenError;
      if (status === 'online') return { userId, status: 'online' };
      return seen
        ? { userId, status: 'offline', lastSeen: new Date(Number(seen)).toISOString() }
        : { userId, status: 'offline' };
    });
  }

  /** Whether the user has a live session right now (no grace): what the notifier asks. */
  async hasSession(userId: string): Promise<boolean> {
    return (await this.#redis.scard(`${this.#base}:user:${userId}`)) > 0;
  }

  /** Which of these users have a live session right now, in one round trip. */
  async withSessions(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const pipeline = this.#redis.pipeline();
    for (const userId of userIds) pipeline.scard(`${this.#base}:user:${userId}`);
    const results = (await pipeline.exec()) ?? [];
    return new Set(userIds.filter((_, index) => Number(results[index]?.[1] ?? 0) > 0));
  }

  /**
   * Hands the oldest announced transitions to `publish` while holding the outbox lock, and
   * drops them only after `publish` resolved. One drainer at a time; a crash between publish
   * and drop means the next drainer publishes them again (at least once, never lost).
   */
  async drainOutbox(publish: (transitions: PresenceTransition[]) => Promise<void>, max = 200): Promise<number> {
    const token = randomUUID();
    const keys = [`${this.#base}:outbox`, `${this.#base}:outbox:lock`];
    const entries = (await scriptOn(this.#redis, 'claimOutbox')(...keys, token, String(OUTBOX_LOCK_MS), String(max))) as
      | string[]
      | null;
    if (!entries) return 0;
    try {
      if (entries.length > 0) await publish(entries.map((entry) => JSON.parse(entry) as PresenceTransition));
      await scriptOn(this.#redis, 'releaseOutbox')(...keys, token, String(entries.length));
    } catch (error) {
      // Leave the entries for the next drain; free the lock so it need not wait it out.
      await scriptOn(this.#redis, 'releaseOutbox')(...keys, token, '0').catch(() => undefined);
      throw error;
    }
    return entries.length;
  }

  #run(script: PresenceScript, args: string[]): Promise<unknown> {
    return scriptOn(this.#redis, script)(this.#nodes, this.#base, ...args);
  }
}
