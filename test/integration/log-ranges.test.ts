import { randomUUID } from 'node:crypto';
import {
  detectDialect,
  type LogDocument,
  type LogRange,
  MessageRepository,
  MONGODB_DIALECT,
  queryLogRanges,
  SEQ_BLOCK_INDEX,
  SEQ_BLOCK_SIZE,
  type ServerDialect,
} from '@chat/storage';
import { expect } from 'chai';
import { type Collection, type Db, MongoClient } from 'mongodb';
import { MONGO_URL, RUN_ID } from '../support/test-environment.js';

const ENTRIES = 3 * SEQ_BLOCK_SIZE + 37;
const KINDS = ['message.edited', 'message.deleted', 'reaction.changed', 'member.changed'] as const;

/** A conversation's log of `count` entries: mostly messages from two senders, every fifth another kind. */
function logOf(conversationId: string, count: number): LogDocument[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = i + 1;
    const base = {
      _id: `${conversationId}-${seq}`,
      conversationId,
      seq,
      senderId: seq % 3 === 0 ? 'alice' : 'bob',
      clientMsgId: `${conversationId}-${seq}`,
      createdAt: new Date(1_700_000_000_000 + seq),
    };
    if (seq % 5 === 0) return { ...base, kind: KINDS[seq % KINDS.length], messageId: `${conversationId}-${seq - 1}` };
    return { ...base, body: `message ${seq}` };
  }) as LogDocument[];
}

const seqs = (documents: readonly { seq: number }[]) => documents.map((document) => document.seq);

/**
 * The log's range reads as the server dialect makes them: on FerretDB by blocks of seqs
 * (libs/storage/src/ferretdb-log-blocks.ts), on MongoDB one query each. Every answer is checked
 * against the plain query of the same range on the same data, which FerretDB answers too, only
 * by reading the whole conversation.
 */
describe('log ranges', function () {
  this.timeout(120_000);
  const dbName = `chat_log_ranges_${RUN_ID}`;
  let client: MongoClient;
  let db: Db;
  let log: Collection<LogDocument>;
  let dialect: ServerDialect;
  const conversationId = randomUUID();
  const neighbour = randomUUID();

  before(async () => {
    client = await new MongoClient(MONGO_URL).connect();
    db = client.db(dbName);
    dialect = await detectDialect(db);
    log = db.collection<LogDocument>('messages');
    await dialect.prepareLog(log, () => {});
    const writer = new MessageRepository(log, dialect);
    // Two conversations written batch by batch, interleaved, as the persister writes them.
    const ours = logOf(conversationId, ENTRIES);
    const theirs = logOf(neighbour, 2 * SEQ_BLOCK_SIZE);
    for (let start = 0; start < ours.length; start += 100) {
      expect((await writer.insertOrdered(ours.slice(start, start + 100))).stopped).to.equal(undefined);
      expect((await writer.insertOrdered(theirs.slice(start, start + 100))).stopped).to.equal(undefined);
    }
  });

  after(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  it('reads every range as the plain query does: bounds at and across block edges, both orders, limits, filters', async () => {
    const reader = dialect.logRanges(log);
    const reference = queryLogRanges(log);
    const bounds = [undefined, -3, 0, SEQ_BLOCK_SIZE - 1, SEQ_BLOCK_SIZE, 2 * SEQ_BLOCK_SIZE + 1, ENTRIES + 500];
    const filters = [{}, { messagesOnly: true, notSentBy: 'alice' }];
    let compared = 0;
    let nonEmpty = 0;
    for (const afterSeq of bounds)
      for (const upToSeq of bounds)
        for (const order of ['ascending', 'descending'] as const)
          for (const limit of [1, 200])
            for (const filter of filters) {
              const range: LogRange = { conversationId, afterSeq, upToSeq, order, limit, ...filter };
              const expected = seqs(await reference.read(range));
              expect(seqs(await reader.read(range)), JSON.stringify(range)).to.deep.equal(expected);
              // A count does not depend on the order.
              if (order === 'ascending')
                expect(await reader.count(range), JSON.stringify(range)).to.equal(await reference.count(range));
              compared += 1;
              if (expected.length > 0) nonEmpty += 1;
            }
    expect(compared).to.equal(bounds.length ** 2 * 2 * 2 * filters.length);
    expect(nonEmpty).to.be.greaterThan(compared / 3);
  });

  it('serves history pages, resume, the last seq and unread counts as the plain queries do', async () => {
    const repository = new MessageRepository(log, dialect);
    const plain = new MessageRepository(log, MONGODB_DIALECT);
    const pages = [
      { conversationId },
      { conversationId, limit: 1 },
      { conversationId, beforeSeq: 2 * SEQ_BLOCK_SIZE + 3 },
      { conversationId, afterSeq: SEQ_BLOCK_SIZE - 2, limit: 100 },
      { conversationId, afterSeq: 10, beforeSeq: 20 },
      { conversationId, beforeSeq: 1 },
    ];
    for (const query of pages)
      expect(seqs(await repository.page(query)), JSON.stringify(query)).to.deep.equal(seqs(await plain.page(query)));
    const latest = seqs(await repository.page({ conversationId }));
    expect(latest).to.have.length(50);
    const lastMessage = logOf(conversationId, ENTRIES).findLast((document) => document.kind === undefined);
    expect(latest.at(-1)).to.equal(lastMessage?.seq);
    for (const afterSeq of [0, 300, ENTRIES - 3, ENTRIES])
      expect(seqs(await repository.entries(conversationId, afterSeq))).to.deep.equal(
        seqs(await plain.entries(conversationId, afterSeq)),
      );
    expect(await repository.lastSeqOf(conversationId)).to.equal(ENTRIES);
    expect(await repository.lastSeqOf(neighbour)).to.equal(2 * SEQ_BLOCK_SIZE);
    expect(await repository.lastSeqOf(randomUUID())).to.equal(0);
    const unread = { afterSeq: 100, upToSeq: ENTRIES };
    const expectedUnread = await plain.countUnread(conversationId, 'alice', unread, 10_000);
    expect(expectedUnread).to.be.greaterThan(150);
    expect(await repository.countUnread(conversationId, 'alice', unread, 10_000)).to.equal(expectedUnread);
    expect(await repository.countUnread(conversationId, 'alice', unread, 7)).to.equal(7);
  });

  it('on FerretDB, brings a log written before blocks existed up to date once, and reads it whole', async function () {
    if (dialect.server !== 'ferretdb') this.skip();
    const legacyDb = client.db(`${dbName}_legacy`);
    try {
      const legacy = legacyDb.collection<LogDocument>('messages');
      const stored = logOf(conversationId, 2 * SEQ_BLOCK_SIZE + 5);
      await legacy.insertMany(stored as never[]); // as an earlier version wrote them: no block
      const heard: number[] = [];
      await dialect.prepareLog(legacy, (documents) => heard.push(documents));
      await dialect.prepareLog(legacy, (documents) => heard.push(documents));
      expect(heard).to.deep.equal([stored.length]);
      expect((await legacy.listIndexes().toArray()).map((index) => index.name)).to.include(SEQ_BLOCK_INDEX);
      const repository = new MessageRepository(legacy, dialect);
      expect(seqs(await repository.entries(conversationId, 0, 1_000))).to.deep.equal(seqs(stored));
      expect(await repository.lastSeqOf(conversationId)).to.equal(stored.length);
    } finally {
      await legacyDb.dropDatabase();
    }
  });
});
