import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { round } from '../stats.js';
import { sampleEvent } from './message-shape.js';

const BATCH = 256;
const STREAMS = 4;

/**
 * The database's raw limit: insertMany of message documents of the same shape, in batches of
 * 256 (the persister's), four batches in flight, into a collection with the same unique
 * indexes as `messages`, on the same server.
 */
export async function databaseBaseline(mongoUrl: string, dbName: string, durationMs: number) {
  const client = await new MongoClient(mongoUrl, { maxPoolSize: STREAMS + 2 }).connect();
  try {
    const collection = client.db(dbName).collection('raw_messages');
    await collection.createIndex({ conversationId: 1, seq: 1 }, { name: 'conversation_seq_unique', unique: true });
    await collection.createIndex({ senderId: 1, clientMsgId: 1 }, { name: 'sender_client_msg_unique', unique: true });
    let inserted = 0;
    const startedAt = performance.now();
    const stream = async (streamIndex: number) => {
      const conversationId = randomUUID();
      let seq = 0;
      while (performance.now() - startedAt < durationMs) {
        const docs = Array.from({ length: BATCH }, () => {
          const event = sampleEvent(conversationId, seq);
          seq += 1;
          return {
            _id: event.messageId,
            conversationId,
            seq,
            senderId: event.senderId,
            clientMsgId: `${streamIndex}-${seq}`,
            body: event.body,
            createdAt: new Date(),
          };
        });
        await collection.insertMany(docs as never[], { ordered: true });
        inserted += docs.length;
      }
    };
    await Promise.all(Array.from({ length: STREAMS }, (_, i) => stream(i)));
    const elapsedS = (performance.now() - startedAt) / 1000;
    await collection.drop();
    return { ratePerS: round(inserted / elapsedS, 0), batch: BATCH, concurrentBatches: STREAMS };
  } finally {
    await client.close();
  }
}
