import { detectDialect, type LogDocument, type MessageDocument, MessageRepository } from '@chat/storage';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { MONGO_DB, MONGO_URL } from '../support/test-environment.js';

/**
 * The persister's gap-free seqs rest on one property of `insertOrdered`: what it wrote is a
 * prefix of what it was given. FerretDB 1.24 breaks that for inserts over 100 documents (it
 * carries on with the next internal chunk after a failure), so the repository chunks itself.
 */
describe('message storage against the real server', () => {
  let mongo: MongoClient;

  before(async () => {
    mongo = await new MongoClient(MONGO_URL).connect();
  });

  after(async () => {
    await mongo
      .db(MONGO_DB)
      .collection('ordered_insert_check')
      .drop()
      .catch(() => undefined);
    await mongo.close();
  });

  it('writes a prefix of 250 documents and stops at a duplicate, wherever it falls', async () => {
    const collection = mongo.db(MONGO_DB).collection<LogDocument>('ordered_insert_check');
    await collection.createIndex({ conversationId: 1, seq: 1 }, { unique: true });
    const dialect = await detectDialect(mongo.db(MONGO_DB));
    const repository = new MessageRepository(collection, dialect);
    const doc = (id: string, seq: number): MessageDocument => ({
      _id: id,
      conversationId: 'c',
      seq,
      senderId: 's',
      clientMsgId: id,
      body: 'b',
      createdAt: new Date(),
    });
    await repository.insertOrdered([doc('taken', 1_000)]);

    for (const failAt of [1, 99, 100, 180]) {
      await collection.deleteMany({ _id: { $ne: 'taken' } });
      const batch = Array.from({ length: 250 }, (_, i) =>
        i === failAt ? doc('taken', 5_000 + i) : doc(`m${i}`, i + 1),
      );
      const result = await repository.insertOrdered(batch);
      expect(result.written, `duplicate at ${failAt}`).to.equal(failAt);
      expect(result.stopped?.duplicateKey).to.equal(true);
      const stored = await collection
        .find({ _id: { $ne: 'taken' } })
        .sort({ seq: 1 })
        .toArray();
      expect(stored.map((row) => row.seq)).to.deep.equal(Array.from({ length: failAt }, (_, i) => i + 1));
    }
    await collection.deleteMany({ _id: { $ne: 'taken' } });
    const clean = await repository.insertOrdered(Array.from({ length: 250 }, (_, i) => doc(`n${i}`, i + 1)));
    expect(clean).to.deep.equal({ written: 250 });
  });
});
