import type { Redis } from 'ioredis';
import pLimit from 'p-limit';
import type { MessageRepository } from './messages.js';

/** Log heads read from the database at once when the cache misses (a Redis that lost its data). */
const DATABASE_READS_AT_ONCE = 16;

/**
 * The last seq of each conversation's log, cached in Redis. The log itself (the messages
 * collection, by `(conversationId, seq)`) is the truth; this cache is what keeps appending
 * cheap: the writer raises the heads of a whole batch with one `ZADD GT` (no write per
 * conversation in the database, where each update statement is a commit of its own), and
 * readers take many with one `ZMSCORE`.
 *
 * A head missing from the cache (never cached, or lost with Redis's data) is read from the log
 * and put back with the same `GT`, so a reader never lowers what a writer raised. The writer
 * raises a batch's heads before announcing it, so a client told of seq N finds a head ≥ N: in
 * the cache, or in the log when the cache is gone.
 */
export class LogHeads {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #messages: MessageRepository;

  constructor(redis: Redis, keyPrefix: string, messages: MessageRepository) {
    this.#redis = redis;
    this.#key = `${keyPrefix}:log-heads`;
    this.#messages = messages;
  }

  /** Raises each conversation's head to its seq, never lowering one. Throws when Redis does. */
  async raise(heads: ReadonlyMap<string, number>): Promise<void> {
    if (heads.size === 0) return;
    const scoresAndMembers = [...heads].flatMap(([conversationId, seq]) => [seq, conversationId]);
    await this.#redis.zadd(this.#key, 'GT', ...scoresAndMembers);
  }

  /** The head of each conversation (0 for one with no entries). */
  async of(conversationIds: readonly string[]): Promise<Map<string, number>> {
    const ids = [...new Set(conversationIds)];
    const heads = new Map<string, number>();
    if (ids.length === 0) return heads;
    let cached: Array<string | null>;
    try {
      cached = await this.#redis.zmscore(this.#key, ...ids);
    } catch {
      // Redis is down: the log answers alone, slower.
      cached = ids.map(() => null);
    }
    const missing: string[] = [];
    ids.forEach((id, i) => {
      const score = cached[i];
      if (score === null || score === undefined) missing.push(id);
      else heads.set(id, Number(score));
    });
    if (missing.length === 0) return heads;
    const limit = pLimit(DATABASE_READS_AT_ONCE);
    const read = await Promise.all(
      missing.map((id) => limit(async () => [id, await this.#messages.lastSeqOf(id)] as const)),
    );
    for (const [id, seq] of read) heads.set(id, seq);
    // Zeros too (a conversation without entries yet): GT lets the writer raise them later, and
    // its next session.ready costs no database read.
    await this.raise(new Map(read)).catch(() => undefined);
    return heads;
  }

  async headOf(conversationId: string): Promise<number> {
    return (await this.of([conversationId])).get(conversationId) ?? 0;
  }
}
