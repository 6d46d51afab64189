import type { Redis } from 'ioredis';

/** Pending ids are kept at most this long (a job that never ran must not leak keys). */
const PENDING_TTL_S = 7 * 24 * 3600;

/** Moves pending → claimed once; a retried job finds its claim and sends the same ids again. */
const CLAIM = `
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[1])
end
return redis.call('SMEMBERS', KEYS[2])
`;

/**
 * The messages waiting to be notified, per (user, conversation), in Redis. Every message of a
 * collapse window lands in one set; the window's job claims the set whole, so the messages of a
 * window become one notification, and a later window starts a new set.
 */
export class PendingMessages {
  readonly #redis: Redis;
  readonly #base: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#base = `${prefix}:notify`;
  }

  async add(userId: string, conversationId: string, messageIds: readonly string[]): Promise<void> {
    const key = this.#pendingKey(userId, conversationId);
    await this.#redis
      .multi()
      .sadd(key, ...messageIds)
      .expire(key, PENDING_TTL_S)
      .exec();
  }

  /** The ids this job is to notify about: claimed now, or claimed by an earlier attempt of it. */
  async claim(userId: string, conversationId: string, jobId: string): Promise<string[]> {
    return (await this.#redis.eval(
      CLAIM,
      2,
      this.#pendingKey(userId, conversationId),
      this.#claimedKey(userId, conversationId, jobId),
      String(PENDING_TTL_S),
    )) as string[];
  }

  async release(userId: string, conversationId: string, jobId: string): Promise<void> {
    await this.#redis.del(this.#claimedKey(userId, conversationId, jobId));
  }

  // Both keys carry the same {hash tag}: RENAME needs them in one cluster slot.
  #pendingKey(userId: string, conversationId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:pending`;
  }

  #claimedKey(userId: string, conversationId: string, jobId: string): string {
    return `${this.#base}:{${userId}:${conversationId}}:claimed:${jobId}`;
  }
}
