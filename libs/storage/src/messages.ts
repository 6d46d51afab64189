import { type ChatMessage, HISTORY_DEFAULT_LIMIT, type HistoryQuery } from '@chat/contracts';
import { type Collection, MongoBulkWriteError } from 'mongodb';
import type { MessageDocument } from './documents.js';
import type { ServerDialect } from './server-dialect.js';

/** A stored message as clients see it (history, pushes). */
export function toChatMessage(doc: MessageDocument): ChatMessage {
  return {
    id: doc._id,
    conversationId: doc.conversationId,
    seq: doc.seq,
    senderId: doc.senderId,
    body: doc.body,
    clientMsgId: doc.clientMsgId,
    ...(doc.replyTo === undefined ? {} : { replyTo: doc.replyTo }),
    createdAt: doc.createdAt.toISOString(),
  };
}

const DUPLICATE_KEY = 11000;

/** How far an ordered insert got: `written` documents from the start; then, if it stopped, why. */
export interface OrderedInsertResult {
  written: number;
  /** The document at index `written` was not written: a duplicate key (of any unique index), or another failure. */
  stopped?: { duplicateKey: boolean; error: unknown };
}

/** Messages: written by the persister, read for history and resume. */
export class MessageRepository {
  readonly #messages: Collection<MessageDocument>;
  readonly #dialect: ServerDialect;

  constructor(messages: Collection<MessageDocument>, dialect: ServerDialect) {
    this.#messages = messages;
    this.#dialect = dialect;
  }

  /** Which of these ids are stored already, with their documents (a redelivery or a resend). */
  async findByIds(ids: readonly string[]): Promise<Map<string, MessageDocument>> {
    const rows = await this.#dialect.findIn(this.#messages, '_id', ids);
    return new Map(rows.map((row) => [row._id, row]));
  }

  /** Whether a message with this id is stored in this conversation. */
  async isIn(conversationId: string, id: string): Promise<boolean> {
    return (await this.#messages.findOne({ _id: id, conversationId }, { projection: { _id: 1 } })) !== null;
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
   * Inserts in order and stops at the first failure, so what was written is always a prefix of
   * the documents, and each conversation's new seqs stay gap-free. Never throws: the result says
   * how far it got and why it stopped. One command on MongoDB; chunks sent one after another
   * where the server dialect needs them.
   */
  async insertOrdered(documents: readonly MessageDocument[]): Promise<OrderedInsertResult> {
    let written = 0;
    const chunkSize = this.#dialect.orderedInsertChunk;
    for (let start = 0; start < documents.length; start += chunkSize) {
      const chunk = documents.slice(start, start + chunkSize);
      try {
        await this.#messages.insertMany(chunk, { ordered: true });
        written += chunk.length;
      } catch (error) {
        const inChunk = error instanceof MongoBulkWriteError ? (error.result?.insertedCount ?? 0) : 0;
        written += inChunk;
        const writeErrors =
          error instanceof MongoBulkWriteError
            ? Array.isArray(error.writeErrors)
              ? error.writeErrors
              : [error.writeErrors]
            : [];
        const duplicateKey = writeErrors.some((e) => e.index === inChunk && e.code === DUPLICATE_KEY);
        return { written, stopped: { duplicateKey, error } };
      }
    }
    return { written };
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
      return this.#messages.find(filter, this.#dialect.readOptions(limit)).sort({ seq: 1 }).limit(limit).toArray();
    }
    const newestFirst = await this.#messages
      .find(filter, this.#dialect.readOptions(limit))
      .sort({ seq: -1 })
      .limit(limit)
      .toArray();
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
