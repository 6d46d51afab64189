import type { Redis } from 'ioredis';
import type { NotificationStreak } from './notification-pacing.js';

/** Pending ids are kept at most this long (a job that never ran must not leak keys). */
const PENDING_TTL_S = 7 * 24 * 3600;

/**
 * Moves pending → claimed once, for the sorted set of (seq, id) and for the plain set of ids an
 * earlier version kept; a retried job finds its claims and sends the same ids again. A first
 * claim counts one more notification in the streak (KEYS[5]) at ARGV[2] ms, so a window opened
 * from then on is paced by it; a retry does not count again. Returns the claimed sorted set as
 * [id, seq, id, seq, ...] and the claimed plain set's ids.
 */
const CLAIM = `
local function claim(pending, claimed)
  if redis.call('EXISTS', claimed) == 0 and redis.call('EXISTS', pending) == 1 then
    redis.call('RENAME', pending, claimed)
    redis.call('EXPIRE', claimed, ARGV[1])
    return 1
  end
  return 0
end
if claim(KEYS[1], KEYS[2]) + claim(KEYS[3], KEYS[4]) > 0 then
  redis.call('HINCRBY', KEYS[5], 'sent', 1)
  redis.call('HSET', KEYS[5], 'at', ARGV[2])
  redis.call('PEXPIRE', KEYS[5], ARGV[3])
end
return {redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES'), redis.call('SMEMBERS', KEYS[4])}
`;

type ClaimCall = (...keysThenArgs: string[]) => Promise<unknown>;

/** The claim as a command of the connection: sent by its SHA (EVALSHA), its text only when the server lacks it. */
function claimScript(redis: Redis): ClaimCall {
  const commands = redis as unknown as Record<string, ClaimCall | undefined>;
  if (!commands.chatNotifyClaim) redis.defineCommand('chatNotifyClaim', { numberOfKeys: 5, lua: CLAIM });
  return (commands.chatNotifyClaim as ClaimCall).bind(redis);
}

/** A message waiting to be notified; `seq` is absent only for ids an earlier version stored. */
export interface PendingMessage {
  id: string;
  seq?: number;
}

/** The messages of one (user, conversation) to add to its pending set. */
export interface PendingWindow {
  userId: string;
  conversationId: string;
  messages: ReadonlyArray<{ id: string; seq: number }>;
}

/**
 * The messages waiting to be notified, per (user, conversation), in Redis: a sorted set of ids by
 * seq, so the job can read them as one range of the log. Every message of a collapse window
 * lands in one set; the window's job claims the set whole, so the messages of a window become one
 * notification, and a later window starts a new set. Next to it, the notification streak that
 * paces the windows (notification-pacing.ts).
 */
export class PendingMessages {
  readonly #redis: Redis;
  readonly #base: string;
  readonly #streakTtlMs: number;

  /**
   * `streakTtlMs`: how long a streak outlives its last notification; a conversation quiet for
   * that long starts over with the first, short window.
   */
  constructor(redis: Redis, prefix: string, streakTtlMs: number) {
    this.#redis = redis;
    this.#base = `${prefix}:notify`;
    this.#streakTtlMs = streakTtlMs;
  }

  /**
   * Adds the messages of several windows in one round trip (adding one twice is harmless), and
   * answers each window's streak as it stood then.
   */
  async add(windows: readonly PendingWindow[]): Promise<Array<NotificationStreak | undefined>> {
    if (windows.length === 0) return [];
    const transaction = this.#redis.multi();
    for (const { userId, conversationId, messages } of windows) {
      const key = this.#pendingKey(userId, conversationId);
      transaction.zadd(key, ...messages.flatMap((message) => [message.seq, message.id]));
      transaction.expire(key, PENDING_TTL_S);
      transaction.hmget(this.#streakKey(userId, conversationId), 'sent', 'at');
    }
    const results = (await transaction.exec()) ?? [];
    return windows.map((_, index) => {
      const [error, fields] = results[index * 3 + 2] ?? [];
      if (error) throw error;
      const [sent, at] = (fields ?? []) as Array<string | null>;
      return sent && at ? { sent: Number(sent), lastAtMs: Number(at) } : undefined;
    });
  }

  /**
   * The messages this job is to notify about: claimed now (which counts one more notification in
   * the streak, at `nowMs`), or claimed by an earlier attempt of it.
   */
  async claim(userId: string, conversationId: string, jobId: string, nowMs: number): Promise<PendingMessage[]> {
    const [bySeq, legacy] = (await claimScript(this.#redis)(
      this.#pendingKey(userId, conversationId),
      this.#claimedKey(userId, conversationId, jobId),
      this.#legacyPendingKey(userId, conversationId),
      this.#legacyClaimedKey(userId, conversationId, jobId),
      this.#streakKey(userId, conversationId),
      String(PENDING_TTL_S),
      String(nowMs),
      String(this.#streakTtlMs),
    )) as [string[], string[]];
    const claimed: PendingMessage[] = [];
    for (let i = 0; i < bySeq.length; i += 2) claimed.push({ id: bySeq[i] ?? '', seq: Number(bySeq[i + 1]) });
    for (const id of legacy) if (!claimed.some((message) => message.id === id)) claimed.push({ id });
    return claimed;
  }

  /**
   * Drops the job's claim; `endStreak` when the recipient turned out to be online, to have read,
   * or to have left: their next window is the first, short one again.
   */
  async release(userId: string, conversationId: string, jobId: string, endStreak = false): Promise<void> {
    const keys = [
      this.#claimedKey(userId, conversationId, jobId),
      this.#legacyClaimedKey(userId, conversationId, jobId),
    ];
    if (endStreak) keys.push(this.#streakKey(userId, conversationId));
    await this.#redis.del(...keys);
  }

  /** Ends the streaks of recipients found to have been online since their last notification. */
  async endStreaks(windows: ReadonlyArray<{ userId: string; conversationId: string }>): Promise<void> {
    if (windows.length === 0) return;
    await this.#redis.del(...windows.map(({ userId, conversationId }) => this.#streakKey(userId, conversationId)));
  }

  // Every key of a (user, conversation) carries the same {hash tag}: RENAME and the claim script
  // need them in one cluster slot.
  #pendingKey(userId: string, conversationId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:pending-by-seq`;
  }

  #claimedKey(userId: string, conversationId: string, jobId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:claimed-by-seq:${jobId}`;
  }

  #streakKey(userId: string, conversationId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:streak`;
  }

  /** A set of ids without seqs, as versions before `notifications.due` carried seqs kept them. */
  #legacyPendingKey(userId: string, conversationId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:pending`;
  }

  #legacyClaimedKey(userId: string, conversationId: string, jobId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:claimed:${jobId}`;
  }
}
