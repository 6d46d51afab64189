import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { ChatClient, FrameError } from '../support/chat-client.js';
import { get, post } from '../support/http.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_DB, MONGO_URL } from '../support/test-environment.js';
import { registerUser, type TestUser } from '../support/users.js';

describe('messages end to end: edge → RabbitMQ → persister → MongoDB → fanout → edge', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let mongo: MongoClient;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    system = await startSystem({ edges: 2, persisters: 1 });
    mongo = await new MongoClient(MONGO_URL).connect();
    alice = await registerUser(system.auth.url, 'alice');
    bob = await registerUser(system.auth.url, 'bob');
  });

  after(async () => {
    await mongo?.close();
    await system?.stop();
  });

  const edgeA = () => system.edges[0]?.url ?? '';
  const edgeB = () => system.edges[1]?.url ?? '';

  it('opens with session.ready, then delivers 1,000 messages across nodes in seq order, each exactly once', async () => {
    const sender = await ChatClient.connect(edgeA(), alice.accessToken);
    const receiver = await ChatClient.connect(edgeB(), bob.accessToken);
    expect(sender.frames[0]?.type).to.equal('session.ready');
    expect(sender.ready).to.include({ userId: alice.id });
    expect(sender.ready?.nodeId).to.be.a('string').and.not.equal(receiver.ready?.nodeId);

    const { conversation } = await sender.request('conversation.open_direct', { userId: bob.id });
    expect(conversation).to.include({ kind: 'direct', lastSeq: 0 });
    expect(conversation).not.to.have.property('ownerId');
    expect(conversation.members).to.have.members([alice.id, bob.id]);

    const total = 1_000;
    const acks = await Promise.all(
      Array.from({ length: total }, (_, i) =>
        sender.request(
          'message.send',
          { conversationId: conversation.id, body: `message ${i}`, clientMsgId: `c-${i}` },
          30_000,
        ),
      ),
    );
    expect(new Set(acks.map((ack) => ack.messageId)).size).to.equal(total);

    const received = await receiver.waitForCount(
      (frame) => frame.type === 'message.new' && frame.message.conversationId === conversation.id,
      total,
      60_000,
    );
    expect(received.map((frame) => frame.message.seq)).to.deep.equal(Array.from({ length: total }, (_, i) => i + 1));
    expect(received.map((frame) => frame.message.body)).to.deep.equal(
      Array.from({ length: total }, (_, i) => `message ${i}`),
    );
    const first = received[0]?.message;
    expect(first).to.have.keys('id', 'conversationId', 'seq', 'senderId', 'body', 'clientMsgId', 'createdAt');
    expect(first).to.include({ senderId: alice.id, clientMsgId: 'c-0', id: acks[0]?.messageId });

    // The sending connection receives its own messages too.
    await sender.waitForCount((frame) => frame.type === 'message.new', total, 30_000);

    const history: number[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await receiver.request('history.get', { conversationId: conversation.id, afterSeq, limit: 100 });
      if (page.messages.length === 0) break;
      history.push(...page.messages.map((m: { seq: number }) => m.seq));
      afterSeq = page.messages.at(-1).seq;
    }
    expect(history).to.deep.equal(Array.from({ length: total }, (_, i) => i + 1));
    const stored = await mongo.db(MONGO_DB).collection('messages').countDocuments({ conversationId: conversation.id });
    expect(stored).to.equal(total);
    const again = await ChatClient.connect(edgeA(), alice.accessToken);
    expect(again.ready?.conversations.find((c: { id: string }) => c.id === conversation.id)?.lastSeq).to.equal(total);
    again.close();
    // The pipeline counted what it did.
    const edgeMetrics = (await get(`${system.edges[0]?.metricsUrl}/metrics`)).text;
    expect(metricValue(edgeMetrics, 'chat_edge_messages_published_total')).to.be.at.least(total);
    const persisterMetrics = (await get(`${system.persisters[0]?.metricsUrl}/metrics`)).text;
    expect(metricValue(persisterMetrics, 'chat_persister_messages_persisted_total')).to.be.at.least(total);
    sender.close();
    receiver.close();
  });

  it('carries replyTo to the members and into history; a reply to no message of the conversation is not_found', async () => {
    const a = await ChatClient.connect(edgeA(), alice.accessToken);
    const b = await ChatClient.connect(edgeB(), bob.accessToken);
    const { conversation } = await a.request('conversation.open_direct', { userId: bob.id });
    const carol = await registerUser(system.auth.url, 'carol-reply');
    const { conversation: elsewhere } = await a.request('conversation.open_direct', { userId: carol.id });
    const { messageId: questionId } = await a.request('message.send', {
      conversationId: conversation.id,
      body: 'lunch?',
    });
    const { messageId: otherId } = await a.request('message.send', { conversationId: elsewhere.id, body: 'hi carol' });
    await b.waitFor((f) => f.type === 'message.new' && f.message.id === questionId);
    await a.waitFor((f) => f.type === 'message.new' && f.message.id === otherId);
    const { messageId: answerId } = await b.request('message.send', {
      conversationId: conversation.id,
      body: 'yes!',
      replyTo: questionId,
    });
    for (const client of [a, b]) {
      const push = await client.waitFor((f) => f.type === 'message.new' && f.message.id === answerId);
      expect(push.message.replyTo).to.equal(questionId);
    }
    const { messages } = await a.request('history.get', { conversationId: conversation.id });
    expect(messages.find((m: { id: string }) => m.id === answerId)?.replyTo).to.equal(questionId);
    expect(messages.find((m: { id: string }) => m.id === questionId)).not.to.have.property('replyTo');
    const send = (replyTo: string) =>
      b.request('message.send', { conversationId: conversation.id, body: 'x', replyTo });
    await expectError(send(otherId), 'not_found');
    await expectError(send('00000000-0000-4000-8000-000000000000'), 'not_found');
    a.close();
    b.close();
  });

  it('never creates a second message for a resent clientMsgId, on either node', async () => {
    const a1 = await ChatClient.connect(edgeA(), alice.accessToken);
    const a2 = await ChatClient.connect(edgeB(), alice.accessToken);
    const { conversation } = await a1.request('conversation.open_direct', { login: bob.login });
    const first = await a1.request('message.send', {
      conversationId: conversation.id,
      body: 'once',
      clientMsgId: 'dup-1',
    });
    const again = await a2.request('message.send', {
      conversationId: conversation.id,
      body: 'once',
      clientMsgId: 'dup-1',
    });
    const third = await a1.request('message.send', {
      conversationId: conversation.id,
      body: 'once',
      clientMsgId: 'dup-1',
    });
    expect(again.messageId).to.equal(first.messageId);
    expect(third.messageId).to.equal(first.messageId);
    await a1.request('message.send', { conversationId: conversation.id, body: 'marker', clientMsgId: 'dup-2' });
    await a2.waitFor((f) => f.type === 'message.new' && f.message.clientMsgId === 'dup-2', 10_000);
    const count = await mongo
      .db(MONGO_DB)
      .collection('messages')
      .countDocuments({ senderId: alice.id, clientMsgId: 'dup-1' });
    expect(count).to.equal(1);
    // The other device saw the message once, not three times.
    expect(a2.frames.filter((f) => f.type === 'message.new' && f.message.clientMsgId === 'dup-1')).to.have.length(1);
    a1.close();
    a2.close();
  });

  it('opens the same direct conversation when both sides open it at once', async () => {
    const carol = await registerUser(system.auth.url, 'carol');
    const dave = await registerUser(system.auth.url, 'dave');
    const c = await ChatClient.connect(edgeA(), carol.accessToken);
    const d = await ChatClient.connect(edgeB(), dave.accessToken);
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => c.request('conversation.open_direct', { userId: dave.id })),
      ...Array.from({ length: 5 }, () => d.request('conversation.open_direct', { userId: carol.id })),
    ]);
    const ids = new Set(results.map((ack) => ack.conversation.id));
    expect(ids.size).to.equal(1);
    const conversationId = [...ids][0];
    expect(await mongo.db(MONGO_DB).collection('conversations').countDocuments({ _id: conversationId })).to.equal(1);
    expect(await mongo.db(MONGO_DB).collection('memberships').countDocuments({ conversationId })).to.equal(2);
    c.close();
    d.close();
  });

  it('runs groups: create, add a member on one node and let them send on the other at once, leave', async () => {
    const members = await Promise.all([1, 2, 3].map((i) => registerUser(system.auth.url, `g${i}`)));
    const [owner, guest, late] = members as [TestUser, TestUser, TestUser];
    const ownerClient = await ChatClient.connect(edgeA(), owner.accessToken);
    const guestClient = await ChatClient.connect(edgeB(), guest.accessToken);
    const lateClient = await ChatClient.connect(edgeB(), late.accessToken);
    const { conversation } = await ownerClient.request('conversation.create_group', {
      title: 'Team',
      members: [guest.id],
    });
    expect(conversation).to.include({ kind: 'group', title: 'Team', ownerId: owner.id });
    expect(conversation.members).to.have.members([owner.id, guest.id]);

    await expectError(
      lateClient.request('message.send', { conversationId: conversation.id, body: 'let me in' }),
      'forbidden',
    );
    await ownerClient.request('conversation.add_member', { conversationId: conversation.id, userId: late.id });
    // Edge B cached the group without `late`; the change reached it, so no stale refusal.
    await lateClient.request('message.send', { conversationId: conversation.id, body: 'hello team' });
    for (const client of [ownerClient, guestClient, lateClient]) {
      await client.waitFor((f) => f.type === 'message.new' && f.message.body === 'hello team');
    }

    await guestClient.request('conversation.leave', { conversationId: conversation.id });
    await expectError(
      guestClient.request('message.send', { conversationId: conversation.id, body: 'still here?' }),
      'forbidden',
    );
    await expectError(guestClient.request('history.get', { conversationId: conversation.id }), 'forbidden');
    const listed = await ownerClient.request('conversation.list');
    const group = listed.conversations.find((c: { id: string }) => c.id === conversation.id);
    expect(group.members).to.have.members([owner.id, late.id]);
    // The log: late added (1), the message (2), guest left (3).
    expect(group.lastSeq).to.equal(3);
    for (const client of [ownerClient, guestClient, lateClient]) client.close();
  });

  it('answers session.ready with every conversation, its lastSeq and the unread count', async () => {
    const erin = await registerUser(system.auth.url, 'erin');
    const frank = await registerUser(system.auth.url, 'frank');
    const e = await ChatClient.connect(edgeA(), erin.accessToken);
    const { conversation } = await e.request('conversation.open_direct', { userId: frank.id });
    for (let i = 0; i < 3; i += 1) await e.request('message.send', { conversationId: conversation.id, body: `m${i}` });
    await e.waitForCount((f) => f.type === 'message.new', 3);
    const f = await ChatClient.connect(edgeB(), frank.accessToken);
    const entry = f.ready?.conversations.find((c: { id: string }) => c.id === conversation.id);
    expect(entry).to.include({ id: conversation.id, kind: 'direct', lastSeq: 3, unread: 3 });
    expect(entry.members).to.have.members([erin.id, frank.id]);
    const again = await ChatClient.connect(edgeB(), erin.accessToken);
    expect(again.ready?.conversations.find((c: { id: string }) => c.id === conversation.id)?.unread).to.equal(0);
    for (const client of [e, f, again]) client.close();
  });

  it('pages history backwards, forwards and in windows, in ascending seq', async () => {
    const gina = await registerUser(system.auth.url, 'gina');
    const client = await ChatClient.connect(edgeA(), gina.accessToken);
    const { conversation } = await client.request('conversation.open_direct', { userId: alice.id });
    for (let i = 1; i <= 12; i += 1)
      await client.request('message.send', { conversationId: conversation.id, body: `n${i}` });
    await client.waitForCount((f) => f.type === 'message.new' && f.message.conversationId === conversation.id, 12);
    const seqs = async (fields: Record<string, unknown>) =>
      (await client.request('history.get', { conversationId: conversation.id, ...fields })).messages.map(
        (m: { seq: number }) => m.seq,
      );
    expect(await seqs({ limit: 5 })).to.deep.equal([8, 9, 10, 11, 12]);
    expect(await seqs({ beforeSeq: 8, limit: 3 })).to.deep.equal([5, 6, 7]);
    expect(await seqs({ afterSeq: 10 })).to.deep.equal([11, 12]);
    expect(await seqs({ afterSeq: 2, beforeSeq: 6 })).to.deep.equal([3, 4, 5]);
    expect(await seqs({})).to.have.length(12);
    await expectError(client.request('history.get', { conversationId: conversation.id, limit: 101 }), 'bad_request');
    await expectError(client.request('history.get', { conversationId: conversation.id, afterSeq: -1 }), 'bad_request');
    client.close();
  });

  describe('REST', () => {
    it('lists, opens and creates conversations and pages messages with a Bearer token', async () => {
      const henry = await registerUser(system.auth.url, 'henry');
      const opened = await post(
        `${edgeA()}/conversations/direct`,
        { login: alice.login },
        { token: henry.accessToken },
      );
      expect(opened.status).to.equal(200);
      const conversationId = opened.body.conversation.id;
      const group = await post(
        `${edgeB()}/conversations/group`,
        { title: 'Lunch', members: [alice.id, bob.id] },
        { token: henry.accessToken },
      );
      expect(group.status).to.equal(201);
      expect(group.body.conversation.members).to.have.members([henry.id, alice.id, bob.id]);
      const list = await get(`${edgeB()}/conversations`, { token: henry.accessToken });
      expect(list.body.conversations.map((c: { id: string }) => c.id)).to.include.members([
        conversationId,
        group.body.conversation.id,
      ]);

      const client = await ChatClient.connect(edgeA(), henry.accessToken);
      for (let i = 1; i <= 4; i += 1) await client.request('message.send', { conversationId, body: `r${i}` });
      await client.waitForCount((f) => f.type === 'message.new' && f.message.conversationId === conversationId, 4);
      client.close();
      const page = await get(`${edgeB()}/conversations/${conversationId}/messages?afterSeq=1&limit=2`, {
        token: henry.accessToken,
      });
      expect(page.status).to.equal(200);
      expect(page.body.messages.map((m: { seq: number; body: string }) => [m.seq, m.body])).to.deep.equal([
        [2, 'r2'],
        [3, 'r3'],
      ]);
    });

    it('refuses non-members with 403, bad queries with 400, and missing tokens with 401', async () => {
      const ivy = await registerUser(system.auth.url, 'ivy');
      const opened = await post(`${edgeA()}/conversations/direct`, { userId: alice.id }, { token: bob.accessToken });
      const conversationId = opened.body.conversation.id;
      const forbidden = await get(`${edgeA()}/conversations/${conversationId}/messages`, { token: ivy.accessToken });
      expect(forbidden.status).to.equal(403);
      expect(forbidden.body.error.code).to.equal('forbidden');
      for (const query of [
        'limit=101',
        'limit=0',
        'afterSeq=-1',
        'beforeSeq=abc',
        'limit=1&limit=2',
        'afterSeq[$gt]=1',
      ]) {
        const res = await get(`${edgeA()}/conversations/${conversationId}/messages?${query}`, {
          token: bob.accessToken,
        });
        expect(res.status, query).to.equal(400);
      }
      expect((await get(`${edgeA()}/conversations/not-a-uuid/messages`, { token: bob.accessToken })).status).to.equal(
        400,
      );
      expect((await get(`${edgeA()}/conversations`)).status).to.equal(401);
      const badBody = await post(
        `${edgeA()}/conversations/direct`,
        { userId: { $ne: null } },
        { token: bob.accessToken },
      );
      expect(badBody.status).to.equal(400);
      const both = await post(
        `${edgeA()}/conversations/direct`,
        { userId: alice.id, login: 'x' },
        { token: bob.accessToken },
      );
      expect(both.status).to.equal(400);
      const unknown = await post(
        `${edgeA()}/conversations/direct`,
        { login: 'nobody-here-at-all' },
        { token: bob.accessToken },
      );
      expect(unknown.status).to.equal(404);
      expect((await get(`${edgeA()}/healthz`)).status).to.equal(200);
      expect((await get(`${edgeA()}/readyz`)).body.status).to.equal('ready');
    });
  });
});

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return Number(line?.split(' ').at(-1) ?? Number.NaN);
}

async function expectError(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(FrameError);
    expect((error as FrameError).code).to.equal(code);
    return;
  }
  expect.fail(`expected an error frame with code ${code}`);
}
