import { everyReply } from '@chat/storage';
import type { Redis } from 'ioredis';
import type { NotificationStreak } from './notification-pacing.js';

/** Pending ids are kept at most this long (a job that never ran must not leak keys). */
const PENDING_TTL_S = 7 * 24 * 3600;

/**
 * Moves pending → claimed once, for the sorted set of (seq, id), with the previews of its
 * messages (KEYS[6] → KEYS[7]), and for the plain set of ids an earlier version kept; a retried
 * job finds its claims and sends the same ids again. A first claim counts one more notification
 * in the streak (KEYS[5]) at ARGV[2] ms, so a window opened from then on is paced by it; a retry
 * does not count again. Returns the claimed sorted set as [id, seq, id, seq, ...], the claimed
 * plain set's ids, and the claimed previews as [id, preview, id, preview, ...].
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
local bySeq = claim(KEYS[1], KEYS[2])
-- Only with the sorted set: previews added after a first claim belong to the next window.
if bySeq == 1 then claim(KEYS[6], KEYS[7]) end
if bySeq + claim(KEYS[3], KEYS[4]) > 0 then
  redis.call('HINCRBY', KEYS[5], 'sent', 1)
  redis.call('HSET', KEYS[5], 'at', ARGV[2])
  redis.call('PEXPIRE', KEYS[5], ARGV[3])
end
return {
  redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES'),
  redis.call('SMEMBERS', KEYS[4]),
  redis.call('HGETALL', KEYS[7]),
}
`;

type ClaimCall = (...keysThenArgs: string[]) => Promise<unknown>;

/** The claim as a command of the connection: sent by its SHA (EVALSHA), its text only when the server lacks it. */
function claimScript(redis: Redis): ClaimCall {
  const commands = redis as unknown as Record<string, ClaimCall | undefined>;
  if (!commands.chatNotifyClaim) redis.defineCommand('chatNotifyClaim', { numberOfKeys: 7, lua: CLAIM });
  return (commands.chatNotifyClaim as ClaimCall).bind(redis);
}

/** A message's preview as the writer announced it, with the epoch of the log rewrites it was written in. */
export interface AnnouncedPreview {
  epoch: number;
  text: string;
}

/**
 * A message waiting to be notified; `seq` is absent only for ids an earlier version stored, and
 * `preview` for messages whose writer sent none.
 */
export interface PendingMessage {
  id: string;
  seq?: number;
  preview?: AnnouncedPreview;
}

/** A message as `notifications.due` announced it. */
export interface AnnouncedMessage {
  id: string;
  seq: number;
  preview?: string;
}

/** The messages of one (user, conversation) to add to its pending set. */
export interface PendingWindow {
  userId: string;
  conversationId: string;
  /** The epoch of the log rewrites the messages were written in (`notifications.due`). */
  rewritesEpoch?: number;
  messages: readonly AnnouncedMessage[];
}

function streakOf(fields: unknown): NotificationStreak | undefined {
  const [sent, at] = (fields ?? []) as Array<string | null>;
  return sent && at ? { sent: Number(sent), lastAtMs: Number(at) } : undefined;
}

// A stored preview is `<epoch>:<text>`: the epoch is digits, so the first ':' ends it.
function encodePreview(preview: AnnouncedPreview): string {
  return `${preview.epoch}:${preview.text}`;
}

function decodePreview(stored: string): AnnouncedPreview | undefined {
  const colon = stored.indexOf(':');
  const epoch = Number(stored.slice(0, colon));
  return colon > 0 && Number.isSafeInteger(epoch) ? { epoch, text: stored.slice(colon + 1) } : undefined;
}

/**
 * The messages waiting to be notified, per (user, conversation), in Redis: a sorted set of ids by
 * seq, so the job can read them as one range of the log. Every message of a collapse window
 * lands in one set; the window's job claims the set whole, so the messages of a window become one
 * notification, and a later window starts a new set. With the set, a hash of the previews the
 * writer announced, claimed with it; and the notification streak that paces the windows
 * (notification-pacing.ts).
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
    const streakReplies: number[] = [];
    let replies = 0;
    for (const { userId, conversationId, rewritesEpoch, messages } of windows) {
      const key = this.#pendingKey(userId, conversationId);
      transaction.zadd(key, ...messages.flatMap((message) => [message.seq, message.id]));
      transaction.expire(key, PENDING_TTL_S);
      replies += 2;
      const previews =
        rewritesEpoch === undefined
          ? []
          : messages.flatMap(({ id, preview }) =>
              preview === undefined ? [] : [id, encodePreview({ epoch: rewritesEpoch, text: preview })],
            );
      if (previews.length > 0) {
        const previewsKey = this.#previewsKey(userId, conversationId);
        transaction.hset(previewsKey, ...previews);
        transaction.expire(previewsKey, PENDING_TTL_S);
        replies += 2;
      }
      transaction.hmget(this.#streakKey(userId, conversationId), 'sent', 'at');
      streakReplies.push(replies++);
    }
    // A message not added must fail the event (it is requeued), not only a streak not read.
    const results = everyReply(await transaction.exec(), 'pending messages');
    return streakReplies.map((reply) => streakOf(results[reply]));
  }

  /**
   * The streak a job is paced by before it claims: none once it has claimed (a retry is not
   * paced again; its own claim counted in the streak).
   */
  async streakBefore(userId: string, conversationId: string, jobId: string): Promise<NotificationStreak | undefined> {
    const [claimed, fields] = await Promise.all([
      this.#redis.exists(
        this.#claimedKey(userId, conversationId, jobId),
        this.#legacyClaimedKey(userId, conversationId, jobId),
      ),
      this.#redis.hmget(this.#streakKey(userId, conversationId), 'sent', 'at'),
    ]);
    return claimed > 0 ? undefined : streakOf(fields);
  }

  /**
   * The messages this job is to notify about: claimed now (which counts one more notification in
   * the streak, at `nowMs`), or claimed by an earlier attempt of it.
   */
  async claim(userId: string, conversationId: string, jobId: string, nowMs: number): Promise<PendingMessage[]> {
    const [bySeq, legacy, previewPairs] = (await claimScript(this.#redis)(
      this.#pendingKey(userId, conversationId),
      this.#claimedKey(userId, conversationId, jobId),
      this.#legacyPendingKey(userId, conversationId),
      this.#legacyClaimedKey(userId, conversationId, jobId),
      this.#streakKey(userId, conversationId),
      this.#previewsKey(userId, conversationId),
      this.#claimedPreviewsKey(userId, conversationId, jobId),
      String(PENDING_TTL_S),
      String(nowMs),
      String(this.#streakTtlMs),
    )) as [string[], string[], string[]];
    const previews = new Map<string, AnnouncedPreview>();
    for (let i = 0; i < previewPairs.length; i += 2) {
      const preview = decodePreview(previewPairs[i + 1] ?? '');
      if (preview) previews.set(previewPairs[i] ?? '', preview);
    }
    const claimed: PendingMessage[] = [];
    for (let i = 0; i < bySeq.length; i += 2) {
      const id = bySeq[i] ?? '';
      const preview = previews.get(id);
      claimed.push({ id, seq: Number(bySeq[i + 1]), ...(preview ? { preview } : {}) });
    }
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
      this.#claimedPreviewsKey(userId, conversationId, jobId),
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

  #previewsKey(userId: string, conversationId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:previews`;
  }

  #claimedPreviewsKey(userId: string, conversationId: string, jobId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:claimed-previews:${jobId}`;
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
