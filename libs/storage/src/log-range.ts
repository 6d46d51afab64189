import type { Collection, Filter } from 'mongodb';
import type { LogDocument } from './documents.js';

/**
 * A stretch of one conversation's log: the entries with `afterSeq < seq ≤ upToSeq` (either bound
 * may be left open), in seq order from the chosen end, at most `limit` of them.
 */
export interface LogRange {
  conversationId: string;
  afterSeq?: number | undefined;
  upToSeq?: number | undefined;
  order: 'ascending' | 'descending';
  limit: number;
  /** Messages only: the other entries take seqs but no place in the result. */
  messagesOnly?: boolean;
  /** Leaves out what this user wrote (counting what someone has not read). */
  notSentBy?: string | undefined;
}

/** Only the log's messages (`kind` is set on every other entry). */
export const MESSAGES_ONLY = { kind: { $exists: false } } as const;

/** Reads ranges of the log. The server dialect chooses how (`ServerDialect.logRanges`). */
export interface LogRangeReader {
  read(range: LogRange): Promise<LogDocument[]>;
  /** How many entries `read` would return. */
  count(range: LogRange): Promise<number>;
}

/** The range as a query filter: what MongoDB serves through the `(conversationId, seq)` index. */
export function rangeFilter(range: LogRange): Filter<LogDocument> {
  const seq: { $gt?: number; $lte?: number } = {};
  if (range.afterSeq !== undefined) seq.$gt = range.afterSeq;
  if (range.upToSeq !== undefined) seq.$lte = range.upToSeq;
  return {
    conversationId: range.conversationId,
    ...(Object.keys(seq).length > 0 ? { seq } : {}),
    ...(range.messagesOnly === true ? MESSAGES_ONLY : {}),
    ...(range.notSentBy === undefined ? {} : { senderId: { $ne: range.notSentBy } }),
  } as Filter<LogDocument>;
}

/** Whether a document belongs to the range, bounds and filters alike (its order and limit aside). */
export function inRange(range: LogRange, document: LogDocument): boolean {
  return (
    document.conversationId === range.conversationId &&
    (range.afterSeq === undefined || document.seq > range.afterSeq) &&
    (range.upToSeq === undefined || document.seq <= range.upToSeq) &&
    (range.messagesOnly !== true || document.kind === undefined) &&
    (range.notSentBy === undefined || document.senderId !== range.notSentBy)
  );
}

/** One query per range: the filter, sorted by seq, limited. */
export function queryLogRanges(log: Collection<LogDocument>): LogRangeReader {
  return {
    read: (range) =>
      log
        .find(rangeFilter(range))
        .sort({ seq: range.order === 'ascending' ? 1 : -1 })
        .limit(range.limit)
        .toArray(),
    count: (range) => log.countDocuments(rangeFilter(range), { limit: range.limit }),
  };
}
