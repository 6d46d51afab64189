import { HISTORY_DEFAULT_LIMIT, type HistoryQuery } from '@chat/contracts';
import type { Collection } from 'mongodb';
import type { MessageDocument } from './documents.js';
import { findEach } from './find-each.js';
import { batchOf } from './single-batch.js';

/** Messages: written by the persister, read for history and resume. */
export class MessageRepository {
  readonly #messages: Collection<MessageDocument>;

  constructor(messages: Collection<MessageDocument>) {
    this.#messages = messages;
  }

  /** Which of these ids are stored already, with their documents (a redelivery or a resend). */
  async findByIds(ids: readonly string[]): Promise<Map<string, MessageDocument>> {
    const rows = await findEach(this.#messages, '_id', ids);
    return new Map(rows.map((row) => [row._id, row]));
  }

  findById(id: string): Promise<MessageDocument | null> {
    return this.#messages.findOne({ _id: id });
  }

  /** The highest seq of a conversation, 0 when it has none. */
  async lastSeqOf(conversationId: string): Promise<number> {
    const [last] = await this.#messages
      .find({ conversationId }, { projection: { seq: 1 } })
      .sort({ seq: -1 })
      .limit(1)
      .toArray();
    return last?.seq ?? 0;
  }

  /**
   * Inserts in order and stops at the first failure (`ordered: true`), so what was written is
   * always a prefix of the batch, and each conversation's new seqs stay gap-free.
   */
  async insertOrdered(documents: readonly MessageDocument[]): Promise<void> {
    if (documents.length === 0) return;
    await this.#messages.insertMany([...documents], { ordered: true });
  }

  /**
   * One page of a conversation in ascending seq: after `afterSeq` (resume), before `beforeSeq`
   * (scroll back), both (a window), or the latest page.
   */
  async page(query: HistoryQuery): Promise<MessageDocument[]> {
    const limit = query.limit ?? HISTORY_DEFAULT_LIMIT;
    const seqRange: { $gt?: number; $lt?: number } = {};
    if (query.afterSeq !== undefined) seqRange.$gt = query.afterSeq;
    if (query.beforeSeq !== undefined) seqRange.$lt = query.beforeSeq;
    const filter =
      Object.keys(seqRange).length > 0
        ? { conversationId: query.conversationId, seq: seqRange }
        : { conversationId: query.conversationId };
    if (query.afterSeq !== undefined) {
      return this.#messages.find(filter, batchOf(limit)).sort({ seq: 1 }).limit(limit).toArray();
    }
    const newestFirst = await this.#messages.find(filter, batchOf(limit)).sort({ seq: -1 }).limit(limit).toArray();
    return newestFirst.reverse();
  }

  /** Messages after `afterSeq` not sent by `userId`, counted up to `cap`. */
  countUnread(conversationId: string, userId: string, afterSeq: number, cap: number): Promise<number> {
    return this.#messages.countDocuments(
      { conversationId, seq: { $gt: afterSeq }, senderId: { $ne: userId } },
      { limit: cap },
    );
  }
}
