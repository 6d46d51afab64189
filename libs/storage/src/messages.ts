import {
  type ChangeEntry,
  type ChatMessage,
  FoldedMessage,
  HISTORY_DEFAULT_LIMIT,
  type HistoryQuery,
  LOG_DEFAULT_LIMIT,
  type LogEntry,
} from '@chat/contracts';
import { type Collection, type Filter, MongoBulkWriteError } from 'mongodb';
import type { EntryDocument, LogDocument, MessageDocument } from './documents.js';
import { type LogRangeReader, MESSAGES_ONLY } from './log-range.js';
import { withDeadline } from './operation-deadline.js';
import type { ServerDialect } from './server-dialect.js';

/** A stored message as clients see it (history, pushes). */
export function toChatMessage(doc: MessageDocument): ChatMessage {
  return {
    id: doc._id,
    conversationId: doc.conversationId,
    seq: doc.seq,
    senderId: doc.senderId,
    ...(doc.body === undefined ? {} : { body: doc.body }),
    clientMsgId: doc.clientMsgId,
    ...(doc.replyTo === undefined ? {} : { replyTo: doc.replyTo }),
    createdAt: doc.createdAt.toISOString(),
  };
}

/** A stored change entry as its push. */
export function toChangeEntry(doc: EntryDocument): ChangeEntry {
  const base = { conversationId: doc.conversationId, seq: doc.seq, actorId: doc.senderId };
  const messageId = doc.messageId ?? '';
  switch (doc.kind) {
    case 'message.edited':
      return {
        type: doc.kind,
        ...base,
        messageId,
        ...(doc.body === undefined ? {} : { body: doc.body }),
        editedAt: doc.createdAt.toISOString(),
      };
    case 'message.deleted':
      return { type: doc.kind, ...base, messageId };
    case 'reaction.changed':
      return {
        type: doc.kind,
        ...base,
        messageId,
        userId: doc.userId ?? doc.senderId,
        emoji: doc.emoji ?? '',
        added: doc.added === true,
      };
    case 'member.changed':
      return { type: doc.kind, ...base, userId: doc.userId ?? '', change: doc.change ?? 'added' };
    case 'conversation.renamed':
      return { type: doc.kind, ...base, title: doc.title ?? '' };
  }
}

/** The document of a change entry, stored under `id` (the command's). */
export function toEntryDocument(id: string, entry: ChangeEntry): EntryDocument {
  const base = {
    _id: id,
    conversationId: entry.conversationId,
    seq: entry.seq,
    kind: entry.type,
    senderId: entry.actorId,
    clientMsgId: id,
  };
  switch (entry.type) {
    case 'message.edited':
      return { ...base, messageId: entry.messageId, body: entry.body ?? '', createdAt: new Date(entry.editedAt) };
    case 'message.deleted':
      return { ...base, messageId: entry.messageId, createdAt: new Date() };
    case 'reaction.changed':
      return {
        ...base,
        messageId: entry.messageId,
        userId: entry.userId,
        emoji: entry.emoji,
        added: entry.added,
        createdAt: new Date(),
      };
    case 'member.changed':
      return { ...base, userId: entry.userId, change: entry.change, createdAt: new Date() };
    case 'conversation.renamed':
      return { ...base, title: entry.title, createdAt: new Date() };
  }
}

/** Any stored document of the log as the entry `log.get` returns. */
export function toLogEntry(doc: LogDocument): LogEntry {
  return doc.kind === undefined ? { type: 'message.new', message: toChatMessage(doc) } : toChangeEntry(doc);
}

const DUPLICATE_KEY = 11000;

/** How far an ordered insert got: `written` documents from the start; then, if it stopped, why. */
export interface OrderedInsertResult {
  written: number;
  /** The document at index `written` was not written: a duplicate key (of any unique index), or another failure. */
  stopped?: { duplicateKey: boolean; error: unknown };
}

/**
 * A conversation's log: its messages and every other entry, one document each, numbered by
 * `seq` (unique per conversation). Written by the persister that holds the conversation's shard;
 * read for history (messages folded with the entries about them) and for resume (`log.get`).
 */
export class MessageRepository {
  readonly #log: Collection<LogDocument>;
  readonly #dialect: ServerDialect;
  readonly #ranges: LogRangeReader;
  readonly #deadlineMs: number;

  /**
   * `deadlineMs` bounds the operations the log's writer waits on (`MongoHandle.operationDeadlineMs`):
   * past it they fail, as a timeout of the driver's own would (see `withDeadline`).
   */
  constructor(log: Collection<LogDocument>, dialect: ServerDialect, deadlineMs = Number.POSITIVE_INFINITY) {
    this.#log = log;
    this.#dialect = dialect;
    this.#ranges = dialect.logRanges(log);
    this.#deadlineMs = deadlineMs;
  }

  /** Which of these ids are stored already, with their documents (a redelivery or a resend). */
  async findByIds(ids: readonly string[]): Promise<Map<string, LogDocument>> {
    const rows = await withDeadline(this.#dialect.findIn(this.#log, '_id', ids), this.#deadlineMs, 'find by ids');
    return new Map(rows.map((row) => [row._id, row]));
  }

  /** Whether a message (not another kind of entry) with this id is stored in this conversation. */
  async isIn(conversationId: string, id: string): Promise<boolean> {
    const filter = { _id: id, conversationId, ...MESSAGES_ONLY } as Filter<LogDocument>;
    return (await this.#log.findOne(filter, { projection: { _id: 1 } })) !== null;
  }

  findById(id: string): Promise<LogDocument | null> {
    return withDeadline(this.#log.findOne({ _id: id }), this.#deadlineMs, 'find by id');
  }

  /** The highest seq of a conversation's log (any kind of entry), 0 when it has none. */
  async lastSeqOf(conversationId: string): Promise<number> {
    const [last] = await withDeadline(
      this.#ranges.read({ conversationId, order: 'descending', limit: 1 }),
      this.#deadlineMs,
      'last seq',
    );
    return last?.seq ?? 0;
  }

  /**
   * Inserts in order and stops at the first failure, so what was written is always a prefix of
   * the documents, and each conversation's new seqs stay gap-free. Never throws: the result says
   * how far it got and why it stopped. One command on MongoDB; chunks sent one after another
   * where the server dialect needs them.
   */
  async insertOrdered(documents: readonly LogDocument[]): Promise<OrderedInsertResult> {
    let written = 0;
    const chunkSize = this.#dialect.orderedInsertChunk;
    for (let start = 0; start < documents.length; start += chunkSize) {
      const chunk = documents.slice(start, start + chunkSize).map((document) => this.#dialect.toStored(document));
      try {
        await withDeadline(this.#log.insertMany(chunk, { ordered: true }), this.#deadlineMs, 'ordered insert');
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
   * One page of a conversation's messages in ascending seq: after `afterSeq` (resume), before
   * `beforeSeq` (scroll back), both (a window), or the latest page. Other entries between them
   * take seqs but no place in the page.
   */
  async page(query: HistoryQuery): Promise<MessageDocument[]> {
    const range = {
      conversationId: query.conversationId,
      afterSeq: query.afterSeq,
      upToSeq: query.beforeSeq === undefined ? undefined : query.beforeSeq - 1,
      limit: query.limit ?? HISTORY_DEFAULT_LIMIT,
      messagesOnly: true,
    };
    if (query.afterSeq !== undefined) {
      return (await this.#ranges.read({ ...range, order: 'ascending' })) as MessageDocument[];
    }
    return (await this.#ranges.read({ ...range, order: 'descending' })).reverse() as MessageDocument[];
  }

  /** Entries of every kind after `afterSeq` and up to `upToSeq` when given, ascending. */
  entries(conversationId: string, afterSeq: number, limit = LOG_DEFAULT_LIMIT, upToSeq?: number) {
    return this.#ranges.read({ conversationId, afterSeq, upToSeq, order: 'ascending', limit });
  }

  /** The entries about these messages (edits, deletes, reactions), ascending by seq. */
  async entriesAbout(messageIds: readonly string[]): Promise<EntryDocument[]> {
    if (messageIds.length === 0) return [];
    const rows = (await withDeadline(
      this.#dialect.findIn(this.#log, 'messageId', messageIds),
      this.#deadlineMs,
      'entries about messages',
    )) as EntryDocument[];
    return rows.sort((a, b) => a.seq - b.seq);
  }

  /**
   * These messages in their current state, in the order given: each folded with the entries
   * about it (an edit is an entry of its own; the message keeps the text it was sent with).
   */
  async folded(documents: readonly MessageDocument[]): Promise<FoldedMessage[]> {
    const folded = new Map(documents.map((document) => [document._id, new FoldedMessage(toChatMessage(document))]));
    for (const entry of await this.entriesAbout([...folded.keys()])) {
      const change = toChangeEntry(entry);
      if ('messageId' in change) folded.get(change.messageId)?.apply(change);
    }
    return [...folded.values()];
  }

  /** The latest membership entry of a user in a conversation (when they joined, left or were removed). */
  async lastMemberEntry(conversationId: string, userId: string): Promise<EntryDocument | null> {
    const [last] = await this.#log
      .find({ conversationId, kind: 'member.changed', userId } as Filter<LogDocument>, this.#dialect.readOptions(1))
      .sort({ seq: -1 })
      .limit(1)
      .toArray();
    return (last as EntryDocument | undefined) ?? null;
  }

  /**
   * Removes the text of these documents (a deleted message and its edits), one update each: a
   * delete names a handful, and every server updates by `_id` through its index.
   */
  async eraseBodies(ids: readonly string[]): Promise<void> {
    await Promise.all(
      ids.map((id) => this.#dialect.update(() => this.#log.updateOne({ _id: id }, { $unset: { body: '' } }))),
    );
  }

  /**
   * Messages in `(afterSeq, upToSeq]` not sent by `userId`, counted up to `cap` (other entries
   * never count). `upToSeq` is the head the count goes out with: the log may already hold
   * entries past it, and a client that counts those again when they arrive would count them twice.
   */
  countUnread(
    conversationId: string,
    userId: string,
    seqs: { afterSeq: number; upToSeq: number },
    cap: number,
  ): Promise<number> {
    return this.#ranges.count({
      conversationId,
      ...seqs,
      order: 'ascending',
      limit: cap,
      messagesOnly: true,
      notSentBy: userId,
    });
  }
}
