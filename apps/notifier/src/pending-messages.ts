import type { Redis } from 'ioredis';

/** Pending ids are kept at most this long (a job that never ran must not leak keys). */
const PENDING_TTL_S = 7 * 24 * 3600;

/**
 * Moves pending → claimed once, for the sorted set of (seq, id) and for the plain set of ids an
 * earlier version kept; a retried job finds its claims and sends the same ids again. Returns the
 * claimed sorted set as [id, seq, id, seq, ...] and the claimed plain set's ids.
 */
const CLAIM = `
local function claim(pending, claimed)
  if redis.call('EXISTS', claimed) == 0 and redis.call('EXISTS', pending) == 1 then
    redis.call('RENAME', pending, claimed)
    redis.call('EXPIRE', claimed, ARGV[1])
  end
end
claim(KEYS[1], KEYS[2])
claim(KEYS[3], KEYS[4])
return {redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES'), redis.call('SMEMBERS', KEYS[4])}
`;

type ClaimCall = (...keysThenArgs: string[]) => Promise<unknown>;

/** The claim as a command of the connection: sent by its SHA (EVALSHA), its text only when the server lacks it. */
function claimScript(redis: Redis): ClaimCall {
  const commands = redis as unknown as Record<string, ClaimCall | undefined>;
  if (!commands.chatNotifyClaim) redis.defineCommand('chatNotifyClaim', { numberOfKeys: 4, lua: CLAIM });
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
 * notification, and a later window starts a new set.
 */
export class PendingMessages {
  readonly #redis: Redis;
  readonly #base: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#base = `${prefix}:notify`;
  }

  /** Adds the messages of several windows in one round trip (adding one twice is harmless). */
  async add(windows: readonly PendingWindow[]): Promise<void> {
    if (windows.length === 0) return;
    const transaction = this.#redis.multi();
    for (const { userId, conversationId, messages } of windows) {
      const key = this.#pendingKey(userId, conversationId);
      transaction.zadd(key, ...messages.flatMap((message) => [message.seq, message.id]));
      transaction.expire(key, PENDING_TTL_S);
    }
    await transaction.exec();
  }

  /** The messages this job is to notify about: claimed now, or claimed by an earlier attempt of it. */
  async claim(userId: string, conversationId: string, jobId: string): Promise<PendingMessage[]> {
    const [bySeq, legacy] = (await claimScript(this.#redis)(
      this.#pendingKey(userId, conversationId),
      this.#claimedKey(userId, conversationId, jobId),
      this.#legacyPendingKey(userId, conversationId),
      this.#legacyClaimedKey(userId, conversationId, jobId),
      String(PENDING_TTL_S),
    )) as [string[], string[]];
    const claimed: PendingMessage[] = [];
    for (let i = 0; i < bySeq.length; i += 2) claimed.push({ id: bySeq[i] ?? '', seq: Number(bySeq[i + 1]) });
    for (const id of legacy) if (!claimed.some((message) => message.id === id)) claimed.push({ id });
    return claimed;
  }

  async release(userId: string, conversationId: string, jobId: string): Promise<void> {
    await this.#redis.del(
      this.#claimedKey(userId, conversationId, jobId),
      this.#legacyClaimedKey(userId, conversationId, jobId),
    );
  }

  // Every key of a (user, conversation) carries the same {hash tag}: RENAME and the claim script
  // need them in one cluster slot.
  #pendingKey(userId: string, conversationId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:pending-by-seq`;
  }

  #claimedKey(userId: string, conversationId: string, jobId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:claimed-by-seq:${jobId}`;
  }

  /** A set of ids without seqs, as versions before `notifications.due` carried seqs kept them. */
  #legacyPendingKey(userId: string, conversationId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:pending`;
  }

  #legacyClaimedKey(userId: string, conversationId: string, jobId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:claimed:${jobId}`;
  }
}
