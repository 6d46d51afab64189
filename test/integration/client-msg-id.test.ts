import { ensureIndexes } from '@chat/storage';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { ChatClient } from '../support/chat-client.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_DB, MONGO_URL } from '../support/test-environment.js';
import { registerUser, type TestUser } from '../support/users.js';

describe('idempotency is per (sender, conversation, clientMsgId)', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let mongo: MongoClient;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  before(async () => {
    system = await startSystem({ edges: 1, persisters: 1 });
    mongo = await new MongoClient(MONGO_URL).connect();
    alice = await registerUser(system.auth.url, 'alice');
    bob = await registerUser(system.auth.url, 'bob');
    carol = await registerUser(system.auth.url, 'carol');
  });

  after(async () => {
    await mongo?.close();
    await system?.stop();
  });

  it('one clientMsgId used in a direct chat and then in a group makes two messages; a resend in either makes none', async () => {
    const edge = system.edges[0]?.url ?? '';
    const sender = await ChatClient.connect(edge, alice.accessToken);
    const { conversation: direct } = await sender.request('conversation.open_direct', { userId: bob.id });
    const { conversation: group } = await sender.request('conversation.create_group', {
      title: 'reuse',
      members: [bob.id, carol.id],
    });

    const inDirect = await sender.request('message.send', {
      conversationId: direct.id,
      body: 'to bob',
      clientMsgId: 'same-id',
    });
    const inGroup = await sender.request('message.send', {
      conversationId: group.id,
      body: 'to the group',
      clientMsgId: 'same-id',
    });
    expect(inGroup.messageId).to.not.equal(inDirect.messageId);

    // The group's history shows the message: before the fix it stayed empty.
    const pushed = await sender.waitFor(
      (frame) => frame.type === 'message.new' && frame.message.conversationId === group.id,
      20_000,
    );
    expect(pushed.message).to.include({ id: inGroup.messageId, body: 'to the group', seq: 1, clientMsgId: 'same-id' });
    const groupHistory = await sender.request('history.get', { conversationId: group.id });
    expect(groupHistory.messages.map((m: { body: string }) => m.body)).to.deep.equal(['to the group']);

    // A resend in each conversation is still the same message.
    const resentDirect = await sender.request('message.send', {
      conversationId: direct.id,
      body: 'to bob',
      clientMsgId: 'same-id',
    });
    const resentGroup = await sender.request('message.send', {
      conversationId: group.id,
      body: 'to the group',
      clientMsgId: 'same-id',
    });
    expect(resentDirect.messageId).to.equal(inDirect.messageId);
    expect(resentGroup.messageId).to.equal(inGroup.messageId);

    const directHistory = await sender.request('history.get', { conversationId: direct.id });
    expect(directHistory.messages.map((m: { body: string }) => m.body)).to.deep.equal(['to bob']);
    const stored = await mongo
      .db(MONGO_DB)
      .collection('messages')
      .find({ senderId: alice.id, clientMsgId: 'same-id' })
      .project({ _id: 0, conversationId: 1, body: 1 })
      .toArray();
    expect(stored).to.have.deep.members([
      { conversationId: direct.id, body: 'to bob' },
      { conversationId: group.id, body: 'to the group' },
    ]);
    sender.close();
  });

  it('drops the old (senderId, clientMsgId) unique index of an existing database', async () => {
    const db = mongo.db(`${MONGO_DB}_old_index`);
    try {
      await db
        .collection('messages')
        .createIndex({ senderId: 1, clientMsgId: 1 }, { name: 'sender_client_msg_unique', unique: true });
      await ensureIndexes(db);
      const names = (await db.collection('messages').listIndexes().toArray()).map((index) => index.name);
      expect(names).to.include('sender_conversation_client_msg_unique').and.not.include('sender_client_msg_unique');
    } finally {
      await db.dropDatabase();
    }
  });
});
