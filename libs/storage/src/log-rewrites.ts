import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { everyReply } from './redis-transaction.js';

/** The member of the set that holds its epoch; conversation ids are UUIDs, so none is named so. */
const EPOCH_MEMBER = '~epoch';
/** Epochs are drawn below 2^47: exact as a Redis score (a double), and as a JSON number. */
const EPOCH_BOUND = 2 ** 47;

/** The last rewrite of a conversation's log, as far as the set knows since its epoch began. */
export interface RewriteHead {
  epoch: number;
  /** The seq of the conversation's last edit or delete entry; 0 when none since the epoch began. */
  seq: number;
}

/**
 * The seq of each conversation's last entry that rewrote a message (an edit or a delete), in one
 * Redis sorted set raised with `ZADD GT`, as `LogHeads` holds the heads. It lets the notifier
 * trust the preview the writer handed it with a message: when the last rewrite of the
 * conversation comes before a window's first message, none of the window's messages changed
 * since they were announced, and the window is notified without reading the log.
 *
 * The set carries an epoch, a random number put in it by whoever finds it missing. A rewrite
 * before the epoch began is not in the set (Redis lost it with its data), so the writer stamps
 * each batch's notifications with the epoch its rewrites went into, and a preview from another
 * epoch is not trusted.
 */
export class LogRewrites {
  readonly #redis: Redis;
  readonly #key: string;

  constructor(redis: Redis, keyPrefix: string) {
    this.#redis = redis;
    this.#key = `${keyPrefix}:log-rewrites`;
  }

  /**
   * Raises each conversation's last rewrite to its seq, never lowering one, and answers the
   * epoch they went into (one transaction: the epoch cannot change between). Throws when Redis does.
   */
  async raise(rewrites: ReadonlyMap<string, number>): Promise<number> {
    const transaction = this.#redis.multi().zadd(this.#key, 'NX', 1 + randomInt(EPOCH_BOUND - 1), EPOCH_MEMBER);
    if (rewrites.size > 0)
      transaction.zadd(this.#key, 'GT', ...[...rewrites].flatMap(([conversationId, seq]) => [seq, conversationId]));
    transaction.zscore(this.#key, EPOCH_MEMBER);
    // A rewrite that was not recorded must fail the batch, not only an epoch that was not read.
    const replies = everyReply(await transaction.exec(), 'log rewrites');
    return Number(replies.at(-1));
  }

  /** The conversation's last rewrite and the epoch; undefined when the set is gone. Throws when Redis does. */
  async of(conversationId: string): Promise<RewriteHead | undefined> {
    const [epoch, seq] = await this.#redis.zmscore(this.#key, EPOCH_MEMBER, conversationId);
    if (epoch === null || epoch === undefined) return undefined;
    return { epoch: Number(epoch), seq: seq === null || seq === undefined ? 0 : Number(seq) };
  }
}
