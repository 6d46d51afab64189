import { randomUUID } from 'node:crypto';
import { connectMongo, type LogDocument, MessageRepository } from '@chat/storage';
import type { Collection } from 'mongodb';
import { logShapedCollection } from '../baselines/log-collection.js';
import { percentile, round } from '../stats.js';

/** One kind of read, timed in a short and in a long conversation. */
export interface HistoryRead {
  read: string;
  shortMs: number;
  longMs: number;
  /** long ÷ short: 1 when a read does not grow with the conversation. */
  ratio: number;
}

export interface HistoryReport {
  shortEntries: number;
  longEntries: number;
  /** Timed reads of each kind per conversation, after one unmeasured. */
  repetitions: number;
  server: string;
  reads: HistoryRead[];
}

/** Every tenth entry is an edit of the message before it: history pages skip it, `log.get` returns it. */
function logOf(conversationId: string, entries: number): LogDocument[] {
  return Array.from({ length: entries }, (_, i) => {
    const seq = i + 1;
    const base = {
      _id: randomUUID(),
      conversationId,
      seq,
      senderId: seq % 2 === 0 ? 'alice' : 'bob',
      createdAt: new Date(),
    };
    if (seq % 10 === 0) {
      const id = base._id;
      return { ...base, clientMsgId: id, kind: 'message.edited', messageId: 'edited', body: 'an edit' } as const;
    }
    return { ...base, clientMsgId: randomUUID(), body: 'a message of ordinary length, about sixty bytes long' };
  });
}

/**
 * What a client's reads cost as a conversation grows: the same reads in a conversation of
 * `shortEntries` and one of `longEntries`, written as the persister writes them (through
 * `MessageRepository`, with the server's dialect), into a collection of their own with the log's
 * indexes. The reads are those of opening a conversation (the latest page), scrolling back far,
 * resuming 150 entries back (`log.get`), the last seq (the persister's, on a Redis miss) and an
 * unread count of the last 100 entries (the conversation list). Nothing else runs meanwhile.
 */
export async function historyReads(options: {
  mongoUrl: string;
  mongoDb: string;
  shortEntries: number;
  longEntries: number;
  repetitions: number;
  log: (line: string) => void;
}): Promise<HistoryReport> {
  const mongo = await connectMongo({ url: options.mongoUrl, dbName: options.mongoDb, appName: 'bench-history' });
  let collection: Collection<LogDocument> | undefined;
  try {
    collection = await logShapedCollection(mongo.db, 'bench_history_log', mongo.dialect);
    const repository = new MessageRepository(collection, mongo.dialect);
    const conversations = { short: randomUUID(), long: randomUUID() };
    for (const [conversationId, entries] of [
      [conversations.short, options.shortEntries],
      [conversations.long, options.longEntries],
    ] as const) {
      const documents = logOf(conversationId, entries);
      for (let start = 0; start < documents.length; start += 1_000) {
        const written = await repository.insertOrdered(documents.slice(start, start + 1_000));
        if (written.stopped) throw new Error(`history: writing the log stopped at ${start + written.written}`);
      }
    }
    const readsOf = (conversationId: string, entries: number) => ({
      'latest page of 50': () => repository.page({ conversationId }),
      'page of 50 before seq 60': () => repository.page({ conversationId, beforeSeq: 60 }),
      'log.get of the last 150 entries': () => repository.entries(conversationId, Math.max(0, entries - 150)),
      'last seq': () => repository.lastSeqOf(conversationId),
      'unread count of the last 100 entries': () =>
        repository.countUnread(conversationId, 'alice', { afterSeq: entries - 100, upToSeq: entries }, 10_000),
    });
    const timed = async (read: () => Promise<unknown>) => {
      await read();
      const samples: number[] = [];
      for (let i = 0; i < options.repetitions; i++) {
        const started = performance.now();
        await read();
        samples.push(performance.now() - started);
      }
      return round(
        percentile(
          samples.sort((a, b) => a - b),
          50,
        ),
        2,
      );
    };
    const short = readsOf(conversations.short, options.shortEntries);
    const long = readsOf(conversations.long, options.longEntries);
    const reads: HistoryRead[] = [];
    for (const read of Object.keys(short) as Array<keyof typeof short>) {
      const shortMs = await timed(short[read]);
      const longMs = await timed(long[read]);
      reads.push({ read, shortMs, longMs, ratio: round(longMs / shortMs, 2) });
      options.log(
        `  ${read}: ${shortMs} ms at ${options.shortEntries} entries, ${longMs} ms at ${options.longEntries}`,
      );
    }
    return {
      shortEntries: options.shortEntries,
      longEntries: options.longEntries,
      repetitions: options.repetitions,
      server: mongo.dialect.server,
      reads,
    };
  } finally {
    await collection?.drop().catch(() => false);
    await mongo.close();
  }
}
