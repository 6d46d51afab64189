import { expect } from 'chai';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { ChatClient } from '../support/chat-client.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_DB, MONGO_URL, REDIS_PREFIX, REDIS_URL } from '../support/test-environment.js';
import { registerUser, type TestUser } from '../support/users.js';

/**
 * Appending to a conversation's log costs no write per conversation: its head (lastSeq) is
 * cached in Redis by the writer and read from the log itself when the cache is gone.
 */
describe('log heads: lastSeq without a database write per conversation', function () {
  this.timeout(120_000);
  const CONVERSATIONS = 5;
  const PER_CONVERSATION = 3;
  let system: TestSystem;
  let mongo: MongoClient;
  let redis: Redis;
  let alice: TestUser;
  let conversationIds: string[];
  let others: TestUser[];

  before(async () => {
    system = await startSystem({ edges: 2, persisters: 1 });
    mongo = await new MongoClient(MONGO_URL).connect();
    redis = new Redis(REDIS_URL);
    alice = await registerUser(system.auth.url, 'alice');
    others = await Promise.all(
      Array.from({ length: CONVERSATIONS }, (_, i) => registerUser(system.auth.url, `peer${i}`)),
    );
    const client = await ChatClient.connect(system.edges[0]?.url ?? '', alice.accessToken);
    conversationIds = [];
    for (const other of others) {
      const { conversation } = await client.request('conversation.open_direct', { userId: other.id });
      conversationIds.push(conversation.id);
      for (let i = 0; i < PER_CONVERSATION; i += 1)
        await client.request('message.send', { conversationId: conversation.id, body: `m${i}` });
    }
    await client.waitForCount((f) => f.type === 'message.new', CONVERSATIONS * PER_CONVERSATION);
    client.close();
  });

  after(async () => {
    redis?.disconnect();
    await mongo?.close();
    await system?.stop();
  });

  const lastSeqsOnConnect = async () => {
    const client = await ChatClient.connect(system.edges[1]?.url ?? '', alice.accessToken);
    const seqs = conversationIds.map(
      (id) => client.ready?.conversations.find((c: { id: string }) => c.id === id)?.lastSeq,
    );
    client.close();
    return seqs;
  };

  it('writes no conversation document while messages are appended', async () => {
    const documents = await mongo
      .db(MONGO_DB)
      .collection<{ _id: string; lastSeq: number }>('conversations')
      .find({ _id: { $in: conversationIds } })
      .toArray();
    expect(documents).to.have.length(CONVERSATIONS);
    // Created with 0 and never updated: the head lives in the log and its cache.
    expect(documents.map((document) => document.lastSeq)).to.deep.equal(conversationIds.map(() => 0));
    expect(await lastSeqsOnConnect()).to.deep.equal(conversationIds.map(() => PER_CONVERSATION));
  });

  it('answers from the log when Redis has lost the cache, and puts it back', async () => {
    const key = `${REDIS_PREFIX}:log-heads`;
    expect(await redis.zscore(key, conversationIds[0] ?? '')).to.equal(String(PER_CONVERSATION));
    await redis.del(key);
    expect(await lastSeqsOnConnect()).to.deep.equal(conversationIds.map(() => PER_CONVERSATION));
    expect(await redis.zmscore(key, ...conversationIds)).to.deep.equal(
      conversationIds.map(() => String(PER_CONVERSATION)),
    );
  });

  it('counts unread only up to the lastSeq it reports, whatever the log holds beyond its head', async () => {
    const conversationId = conversationIds[2] ?? '';
    const peer = others[2];
    if (!peer) throw new Error('no peer');
    // Stored, its head not raised yet (a writer between its insert and its ZADD, or killed there).
    const ahead = {
      _id: `00000000-0000-4000-8000-${String(Date.now()).slice(-12)}`,
      conversationId,
      seq: PER_CONVERSATION + 1,
      senderId: alice.id,
      clientMsgId: 'beyond-the-head',
      body: 'beyond the head',
      createdAt: new Date(),
    };
    const log = mongo.db(MONGO_DB).collection<typeof ahead>('messages');
    await log.insertOne(ahead);
    try {
      const client = await ChatClient.connect(system.edges[0]?.url ?? '', peer.accessToken);
      const listed = client.ready?.conversations.find((c: { id: string }) => c.id === conversationId);
      client.close();
      expect(listed).to.include({ lastSeq: PER_CONVERSATION, unread: PER_CONVERSATION });
    } finally {
      await log.deleteOne({ _id: ahead._id });
    }
  });

  it('never lowers a head: a client told of seq N finds lastSeq ≥ N', async () => {
    const client = await ChatClient.connect(system.edges[0]?.url ?? '', alice.accessToken);
    const conversationId = conversationIds[1] ?? '';
    await client.request('message.send', { conversationId, body: 'one more' });
    const push = await client.waitFor((f) => f.type === 'message.new' && f.message.body === 'one more');
    client.close();
    expect(push.message.seq).to.equal(PER_CONVERSATION + 1);
    expect((await lastSeqsOnConnect())[1]).to.equal(PER_CONVERSATION + 1);
  });
});
