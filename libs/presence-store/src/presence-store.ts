import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { PresenceKeys, userOfEntry } from './script-keys.js';
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

/** The scripts, by name; each is defined once per connection and then run by its SHA (EVALSHA). */
const SCRIPTS = {
  connect: CONNECT,
  disconnect: DISCONNECT,
  heartbeat: HEARTBEAT,
  snapshot: SNAPSHOT,
  sweep: SWEEP,
  settle: SETTLE,
  claimOutbox: CLAIM_OUTBOX,
  releaseOutbox: RELEASE_OUTBOX,
} as const;
type PresenceScript = keyof typeof SCRIPTS;
type ScriptCall = (keyCount: number, ...keysThenArgs: string[]) => Promise<unknown>;

/** A data-driven script answers this when the state changed between the caller's read and the script. */
const READ_AGAIN = -1;
/** Reads before a data-driven script gives up: each retry means the state moved under it, which settles fast. */
const MAX_READS = 10;
/** Candidates settled per script run, so one run stays short. */
const SETTLE_BATCH = 500;

/**
 * The script as a command of this connection (ioredis `defineCommand`): it sends EVALSHA, and the
 * script's text only once, when the server does not know it yet (NOSCRIPT), not with every event.
 * The key count is given per call: the data-driven scripts declare as many keys as they touch.
 */
function scriptOn(redis: Redis, script: PresenceScript): ScriptCall {
  const name = `chatPresence_${script}`;
  const commands = redis as unknown as Record<string, ScriptCall | undefined>;
  if (!commands[name]) redis.defineCommand(name, { lua: SCRIPTS[script] });
  return (commands[name] as ScriptCall).bind(redis);
}

/**
 * Presence kept in Redis: which sessions each user has on which edge node, when each node last
 * sent a heartbeat, when each user was last seen. Every change runs as one Lua script (see
 * scripts.ts) that declares every key it touches. Shared by the presence worker (writes), the
 * edge (`presence.query`) and the notifier (is the recipient online?).
 */
export class PresenceStore {
  readonly #redis: Redis;
  readonly #keys: PresenceKeys;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#keys = new PresenceKeys(prefix);
  }

  async connect(node: string, session: LiveSession, atMs: number): Promise<boolean> {
    const answer = await this.#run('connect', [node], [session.userId], [session.sessionId, String(atMs)]);
    return answer === 1;
  }

  /** Ends a session; a user left with none goes offline at the next settle after the grace period. */
  async disconnect(node: string, session: LiveSession, atMs: number): Promise<void> {
    await this.#run('disconnect', [node], [session.userId], [session.sessionId, String(atMs)]);
  }

  /** Records a heartbeat; true when the node must re-announce its sessions (a snapshot). */
  async heartbeat(node: string, atMs: number, sessionCount: number): Promise<boolean> {
    return (await this.#run('heartbeat', [node], [], [String(atMs), String(sessionCount)])) === 1;
  }

  /** Makes a node's sessions exactly `sessions`; returns how many users came online. */
  async snapshot(node: string, atMs: number, sessions: readonly LiveSession[]): Promise<number> {
    const entries = sessions.map((session) => `${session.userId}|${session.sessionId}`);
    return this.#readThenRun('snapshot', async () => {
      const stored = await this.#redis.smembers(this.#keys.node(node));
      const users = [...stored.map(userOfEntry), ...sessions.map((session) => session.userId)];
      return { nodes: [node], users, args: [String(atMs), ...entries] };
    });
  }

  /** Ends every session of nodes silent since before `cutoffMs`; returns how many nodes. */
  async sweep(cutoffMs: number): Promise<number> {
    return this.#readThenRun('sweep', async () => {
      const nodes = await this.#redis.zrangebyscore(this.#keys.nodes, '-inf', cutoffMs);
      if (nodes.length === 0) return undefined;
      const pipeline = this.#redis.pipeline();
      for (const node of nodes) pipeline.smembers(this.#keys.node(node));
      const users = ((await pipeline.exec()) ?? []).flatMap(([error, entries]) => {
        if (error) throw error;
        return (entries as string[]).map(userOfEntry);
      });
      return { nodes, users, args: [String(cutoffMs)] };
    });
  }

  /** Announces offline every user whose last session ended before `cutoffMs` and who has none now. */
  async settle(cutoffMs: number): Promise<number> {
    let settled = 0;
    for (;;) {
      const due = await this.#redis.zrangebyscore(this.#keys.leaving, '-inf', cutoffMs, 'LIMIT', 0, SETTLE_BATCH);
      if (due.length === 0) return settled;
      settled += Number(await this.#run('settle', [], due, [String(cutoffMs)]));
      if (due.length < SETTLE_BATCH) return settled;
    }
  }

  /** Each user's status as announced (online through the grace period after their last session). */
  async statusOf(userIds: readonly string[]): Promise<UserPresence[]> {
    if (userIds.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const userId of userIds) {
      pipeline.get(this.#keys.status(userId));
      pipeline.get(this.#keys.seen(userId));
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

  /** Which of these users are online as announced (the grace period included), in one MGET. */
  async onlineAmong(userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const statuses = await this.#redis.mget(userIds.map((userId) => this.#keys.status(userId)));
    return userIds.filter((_, index) => statuses[index] === 'online');
  }

  /**
   * When each of these users was last seen online (ms since the epoch), in one MGET; a user
   * never seen, or online now for the first time, has no entry.
   */
  async lastSeenOf(userIds: readonly string[]): Promise<Map<string, number>> {
    if (userIds.length === 0) return new Map();
    const seen = await this.#redis.mget(userIds.map((userId) => this.#keys.seen(userId)));
    const lastSeen = new Map<string, number>();
    userIds.forEach((userId, index) => {
      const at = seen[index];
      if (at) lastSeen.set(userId, Number(at));
    });
    return lastSeen;
  }

  /** Whether the user has a live session right now (no grace): what the notifier asks. */
  async hasSession(userId: string): Promise<boolean> {
    return (await this.#redis.scard(this.#keys.sessions(userId))) > 0;
  }

  /** Which of these users have a live session right now, in one round trip. */
  async withSessions(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const pipeline = this.#redis.pipeline();
    for (const userId of userIds) pipeline.scard(this.#keys.sessions(userId));
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
    const keys = [this.#keys.outbox, this.#keys.outboxLock];
    const claim = scriptOn(this.#redis, 'claimOutbox');
    const entries = (await claim(2, ...keys, token, String(OUTBOX_LOCK_MS), String(max))) as string[] | null;
    if (!entries) return 0;
    try {
      if (entries.length > 0) await publish(entries.map((entry) => JSON.parse(entry) as PresenceTransition));
      await scriptOn(this.#redis, 'releaseOutbox')(2, ...keys, token, String(entries.length));
    } catch (error) {
      // Leave the entries for the next drain; free the lock so it need not wait it out.
      await scriptOn(this.#redis, 'releaseOutbox')(2, ...keys, token, '0').catch(() => undefined);
      throw error;
    }
    return entries.length;
  }

  #run(script: PresenceScript, nodes: readonly string[], users: readonly string[], args: string[]): Promise<unknown> {
    const layout = this.#keys.layout(nodes, users);
    return scriptOn(this.#redis, script)(layout.keys.length, ...layout.keys, ...layout.args, ...args);
  }

  /**
   * Reads what a data-driven script will touch, then runs it with those keys declared; reads
   * again while the script answers that the state moved in between.
   */
  async #readThenRun(
    script: PresenceScript,
    read: () => Promise<{ nodes: string[]; users: string[]; args: string[] } | undefined>,
  ): Promise<number> {
    for (let attempt = 1; attempt <= MAX_READS; attempt += 1) {
      const plan = await read();
      if (!plan) return 0;
      const answer = Number(await this.#run(script, plan.nodes, plan.users, plan.args));
      if (answer !== READ_AGAIN) return answer;
    }
    throw new Error(`presence ${script}: the state kept changing between read and write (${MAX_READS} reads)`);
  }
}
