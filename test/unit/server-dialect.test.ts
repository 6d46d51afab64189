import {
  ConversationRepository,
  dialectFromBuildInfo,
  FERRETDB_MAX_CONCURRENT_UPDATES,
  type MessageDocument,
  MessageRepository,
  MONGODB_DIALECT,
  type ServerDialect,
} from '@chat/storage';
import { expect } from 'chai';
import { type Collection, type Document, MongoBulkWriteError } from 'mongodb';

/** One driver call a repository made: the method, its arguments, and the cursor calls chained on it. */
interface RecordedCall {
  method: string;
  args: unknown[];
  cursor: Array<[string, unknown[]]>;
}

/**
 * A collection that records what the repositories ask the driver for and answers with canned
 * rows. The repositories' behaviour against a real server is proven by the integration suite
 * (on FerretDB); this pins the query shapes of the MongoDB branch, which no server here runs.
 */
function recordingCollection(rows: Document[] = [], options: { failInsertAt?: number } = {}) {
  const calls: RecordedCall[] = [];
  let updatesInFlight = 0;
  let maxUpdatesInFlight = 0;
  const cursorOf = (call: RecordedCall) => {
    const cursor = {
      sort(...args: unknown[]) {
        call.cursor.push(['sort', args]);
        return cursor;
      },
      limit(...args: unknown[]) {
        call.cursor.push(['limit', args]);
        return cursor;
      },
      toArray: async () => rows,
    };
    return cursor;
  };
  const collection = {
    find: (...args: unknown[]) => {
      const call = { method: 'find', args, cursor: [] };
      calls.push(call);
      return cursorOf(call);
    },
    insertMany: async (documents: Document[], ...rest: unknown[]) => {
      calls.push({ method: 'insertMany', args: [documents, ...rest], cursor: [] });
      const failAt = options.failInsertAt;
      if (failAt !== undefined && failAt < documents.length) {
        throw new MongoBulkWriteError(
          { message: 'E11000 duplicate key', code: 11000, writeErrors: [{ index: failAt, code: 11000 }] } as never,
          { insertedCount: failAt } as never,
        );
      }
      return { insertedCount: documents.length };
    },
    updateOne: async (...args: unknown[]) => {
      calls.push({ method: 'updateOne', args, cursor: [] });
      updatesInFlight += 1;
      maxUpdatesInFlight = Math.max(maxUpdatesInFlight, updatesInFlight);
      await new Promise((resolve) => setImmediate(resolve));
      updatesInFlight -= 1;
      return { modifiedCount: 1 };
    },
  };
  return {
    /** Typed as whatever collection the repository under test takes. */
    collection: <T extends Document>() => collection as unknown as Collection<T>,
    calls,
    maxUpdatesInFlight: () => maxUpdatesInFlight,
  };
}

const message = (i: number): MessageDocument => ({
  _id: `m${i}`,
  conversationId: 'c',
  seq: i + 1,
  senderId: 's',
  clientMsgId: `m${i}`,
  body: 'b',
  createdAt: new Date(0),
});

describe('server dialect', () => {
  it('is chosen from buildInfo: FerretDB names itself there, MongoDB does not', () => {
    expect(dialectFromBuildInfo({ version: '7.0.42', ferretdbVersion: 'v1.24.1', ok: 1 }).server).to.equal('ferretdb');
    expect(
      dialectFromBuildInfo({ version: '7.0.14', gitVersion: 'ce59cfc6a3c5e5c067dca0d30697edd68d4f5188', ok: 1 }),
    ).to.equal(MONGODB_DIALECT);
  });

  describe('on MongoDB the repositories send plain MongoDB queries', () => {
    const dialect: ServerDialect = MONGODB_DIALECT;

    it('looks an id list up with one $in query, without cursor options', async () => {
      const ids = recordingCollection();
      await new ConversationRepository(ids.collection(), recordingCollection().collection(), dialect).findManyByIds([
        'a',
        'b',
        'a',
        'c',
      ]);
      expect(ids.calls).to.deep.equal([{ method: 'find', args: [{ _id: { $in: ['a', 'b', 'c'] } }], cursor: [] }]);

      const memberships = recordingCollection([]);
      await new ConversationRepository(recordingCollection().collection(), memberships.collection(), dialect).membersOf(
        ['c1', 'c2'],
      );
      expect(memberships.calls.map((call) => call.args[0])).to.deep.equal([{ conversationId: { $in: ['c1', 'c2'] } }]);
    });

    it('pages history with one range query through the (conversationId, seq) index, without a batch size', async () => {
      const messages = recordingCollection();
      const repository = new MessageRepository(messages.collection(), dialect);
      await repository.page({ conversationId: 'c', afterSeq: 5, limit: 20 });
      await repository.page({ conversationId: 'c', beforeSeq: 90 });
      expect(messages.calls).to.deep.equal([
        {
          method: 'find',
          // Messages only: the log's other entries share the collection.
          args: [{ conversationId: 'c', seq: { $gt: 5 }, kind: { $exists: false } }],
          cursor: [
            ['sort', [{ seq: 1 }]],
            ['limit', [20]],
          ],
        },
        {
          method: 'find',
          args: [{ conversationId: 'c', seq: { $lte: 89 }, kind: { $exists: false } }],
          cursor: [
            ['sort', [{ seq: -1 }]],
            ['limit', [50]],
          ],
        },
      ]);
    });

    it('inserts 250 messages in one ordered command and reports the prefix written', async () => {
      const clean = recordingCollection();
      const documents = Array.from({ length: 250 }, (_, i) => message(i));
      expect(await new MessageRepository(clean.collection(), dialect).insertOrdered(documents)).to.deep.equal({
        written: 250,
      });
      expect(clean.calls.map((call) => [call.method, (call.args[0] as unknown[]).length, call.args[1]])).to.deep.equal([
        ['insertMany', 250, { ordered: true }],
      ]);
      // Stored as given: FerretDB's seq blocks are not written here.
      expect((clean.calls[0]?.args[0] as unknown[] | undefined)?.[7]).to.deep.equal(documents[7]);

      const failing = recordingCollection([], { failInsertAt: 180 });
      const result = await new MessageRepository(failing.collection(), dialect).insertOrdered(documents);
      expect(result.written).to.equal(180);
      expect(result.stopped?.duplicateKey).to.equal(true);
      expect(failing.calls).to.have.length(1);
    });

    it("moves 20 members' cursors at once, each one $max update, with no update gate", async () => {
      const memberships = recordingCollection();
      const repository = new ConversationRepository(
        recordingCollection().collection(),
        memberships.collection(),
        dialect,
      );
      await Promise.all(Array.from({ length: 20 }, (_, i) => repository.advanceCursors('c', `u${i}`, 'read', 5)));
      expect(memberships.calls[0]?.args).to.deep.equal([{ _id: 'c:u0' }, { $max: { readSeq: 5, deliveredSeq: 5 } }]);
      expect(memberships.maxUpdatesInFlight()).to.equal(20);
    });
  });

  describe('on FerretDB each workaround is in the dialect', () => {
    it('looks ids up one equality query each, reads in one batch, chunks inserts by 100 and gates updates', async () => {
      const dialect = dialectFromBuildInfo({ ferretdbVersion: 'v1.24.1' });
      const ids = recordingCollection();
      await new ConversationRepository(ids.collection(), recordingCollection().collection(), dialect).findManyByIds([
        'a',
        'b',
        'a',
      ]);
      expect(ids.calls.map((call) => call.args)).to.have.deep.members([
        [{ _id: 'a' }, { batchSize: 100_000 }],
        [{ _id: 'b' }, { batchSize: 100_000 }],
      ]);

      const messages = recordingCollection();
      await new MessageRepository(messages.collection(), dialect).insertOrdered(
        Array.from({ length: 250 }, (_, i) => message(i)),
      );
      expect(messages.calls.map((call) => (call.args[0] as unknown[]).length)).to.deep.equal([100, 100, 50]);
      // Each with its seq block, which its range reads ask for (ferretdb-log-blocks.ts).
      // seq 131 of conversation c is in its block 1 (seqs 128-255).
      expect((messages.calls[1]?.args[0] as MessageDocument[] | undefined)?.[30]).to.deep.equal({
        ...message(130),
        seqBlock: 'c:1',
      });

      const memberships = recordingCollection();
      const repository = new ConversationRepository(
        recordingCollection().collection(),
        memberships.collection(),
        dialect,
      );
      await Promise.all(Array.from({ length: 20 }, (_, i) => repository.advanceCursors('c', `u${i}`, 'delivered', 5)));
      expect(memberships.calls).to.have.length(20);
      expect(memberships.maxUpdatesInFlight()).to.equal(FERRETDB_MAX_CONCURRENT_UPDATES);
    });
  });
});
