import { randomUUID } from 'node:crypto';
import { detectDialect } from '@chat/storage';
import { MongoClient } from 'mongodb';
import { round } from '../stats.js';
import { logShapedCollection } from './log-collection.js';
import { createdEvent } from './message-shape.js';

const BATCH = 256;
const STREAMS = 4;
const CONVERSATIONS = 1_000;

export interface InsertReport {
  ratePerS: number;
  /** Inserted in the measured window. */
  messages: number;
  batch: number;
  concurrentBatches: number;
  indexes: string[];
}

/**
 * The log's raw write limit: insertMany (ordered) of documents shaped as the persister writes
 * them, 256 per batch, four batches in flight, spread over 1,000 conversations, into a
 * collection shaped as the log (`logShapedCollection`), stored as the server's dialect stores
 * them (on FerretDB with their seq block).
 */
export async function logInsert(mongoUrl: string, dbName: string, durationMs: number): Promise<InsertReport> {
  const client = await new MongoClient(mongoUrl, { maxPoolSize: STREAMS + 2 }).connect();
  try {
    const db = client.db(dbName);
    const dialect = await detectDialect(db);
    const collection = await logShapedCollection(db, 'raw_log', dialect);
    const conversations = Array.from({ length: CONVERSATIONS }, () => ({ id: randomUUID(), seq: 0 }));
    let inserted = 0;
    let next = 0;
    const startedAt = performance.now();
    const stream = async () => {
      while (performance.now() - startedAt < durationMs) {
        const docs = Array.from({ length: BATCH }, () => {
          const conversation = conversations[next++ % CONVERSATIONS] as { id: string; seq: number };
          conversation.seq += 1;
          const event = createdEvent(conversation.id, conversation.seq);
          return dialect.toStored({
            _id: event.messageId,
            conversationId: conversation.id,
            seq: conversation.seq,
            senderId: event.senderId,
            clientMsgId: event.clientMsgId,
            body: event.body,
            createdAt: new Date(),
          });
        });
        await collection.insertMany(docs, { ordered: true });
        inserted += docs.length;
      }
    };
    await Promise.all(Array.from({ length: STREAMS }, stream));
    const elapsedS = (performance.now() - startedAt) / 1000;
    const indexNames = (await collection.listIndexes().toArray())
      .map((index) => String(index.name))
      .filter((name) => name !== '_id_');
    await collection.drop();
    return {
      ratePerS: round(inserted / elapsedS, 0),
      messages: inserted,
      batch: BATCH,
      concurrentBatches: STREAMS,
      indexes: indexNames,
    };
  } finally {
    await client.close();
  }
}
