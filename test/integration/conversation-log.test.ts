import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { ChatClient, type Frame, FrameError } from '../support/chat-client.js';
import { comparable, ENTRY_TYPES, LogReplica, readLog, seqOf } from '../support/log-replica.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_DB, MONGO_URL } from '../support/test-environment.js';
import { registerUser, type TestUser } from '../support/users.js';

/**
 * The conversation log: every change a member can see (edits, deletes, reactions, replies,
 * membership, renames) is an entry with the next seq, pushed once to every member's connections
 * on both edge nodes and returned by `log.get` in the same order, so a client that was away
 * resumes exactly.
 */
describe('conversation log', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let mongo: MongoClient;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;

  before(async () => {
    system = await startSystem({ edges: 2, persisters: 1 });
    mongo = await new MongoClient(MONGO_URL).connect();
    [alice, bob, carol, dave] = (await Promise.all(
      ['alice', 'bob', 'carol', 'dave'].map((tag) => registerUser(system.auth.url, `log-${tag}`)),
    )) as [TestUser, TestUser, TestUser, TestUser];
  });

  after(async () => {
    await mongo?.close();
    await system?.stop();
  });

  const edgeA = () => system.edges[0]?.url ?? '';
  const edgeB = () => system.edges[1]?.url ?? '';
  const entriesIn = (client: ChatClient, conversationId: string) =>
    client.frames.filter(
      (frame) =>
        ENTRY_TYPES.has(frame.type) && (frame.conversationId ?? frame.message?.conversationId) === conversationId,
    );
  const refusal = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof FrameError) return error.code;
      throw error;
    }
    return 'accepted';
  };
  const group = async (owner: ChatClient, members: TestUser[], title = 'log test') =>
    (await owner.request('conversation.create_group', { title, members: members.map((m) => m.id) })).conversation
      .id as string;
  const send = async (client: ChatClient, conversationId: string, body: string, extra = {}) =>
    (await client.request('message.send', { conversationId, body, clientMsgId: randomUUID(), ...extra }))
      .messageId as string;

  it('numbers every kind of change with consecutive seqs, pushes each once on both nodes, and log.get replays them', async () => {
    const a = await ChatClient.connect(edgeA(), alice.accessToken);
    const b = await ChatClient.connect(edgeB(), bob.accessToken);
    const bobsLaptop = await ChatClient.connect(edgeA(), bob.accessToken);
    const c = await ChatClient.connect(edgeB(), carol.accessToken);
    const conversationId = await group(a, [bob]);
    const ownerId = (await a.request('conversation.list')).conversations.find(
      (conversation: { id: string }) => conversation.id === conversationId,
    ).ownerId;
    expect(ownerId).to.equal(alice.id);

    const first = await send(a, conversationId, 'hello');
    await b.waitFor((f) => f.type === 'message.new' && f.message.id === first);
    const reply = await send(b, conversationId, 'hi back', { replyTo: first });
    expect((await a.request('message.edit', { conversationId, messageId: first, body: 'hello, edited' })).seq).to.equal(
      3,
    );
    // The same body again writes nothing and answers the entry that set it.
    expect((await a.request('message.edit', { conversationId, messageId: first, body: 'hello, edited' })).seq).to.equal(
      3,
    );
    expect((await b.request('reaction.add', { conversationId, messageId: first, emoji: '👍' })).seq).to.equal(4);
    expect((await b.request('reaction.add', { conversationId, messageId: first, emoji: '👍' })).seq).to.equal(null);
    expect((await a.request('reaction.add', { conversationId, messageId: first, emoji: '👩‍💻' })).seq).to.equal(5);
    expect((await b.request('reaction.remove', { conversationId, messageId: first, emoji: '👍' })).seq).to.equal(6);
    expect((await b.request('reaction.remove', { conversationId, messageId: first, emoji: '👍' })).seq).to.equal(null);
    expect((await b.request('message.delete', { conversationId, messageId: reply })).seq).to.equal(7);
    // A second delete answers the first one's seq.
    expect((await b.request('message.delete', { conversationId, messageId: reply })).seq).to.equal(7);
    expect((await a.request('conversation.rename', { conversationId, title: 'renamed' })).seq).to.equal(8);
    const added = await a.request('conversation.add_member', { conversationId, userId: carol.id });
    expect(added.seq).to.equal(9);
    expect(added.conversation.members).to.include(carol.id);
    expect((await a.request('conversation.add_member', { conversationId, userId: carol.id })).seq).to.equal(null);
    expect((await a.request('conversation.remove_member', { conversationId, userId: carol.id })).seq).to.equal(10);

    // Every connection of alice and bob has entries 1..10, each once, in order; carol's has 9 and 10.
    for (const client of [a, b, bobsLaptop]) {
      await client.waitForCount((f) => ENTRY_TYPES.has(f.type) && seqOf(f) === 10, 1);
    }
    await c.waitFor((f) => f.type === 'member.changed' && f.change === 'removed');
    await sleep(300);
    const expectedTypes = [
      'message.new',
      'message.new',
      'message.edited',
      'reaction.changed',
      'reaction.changed',
      'reaction.changed',
      'message.deleted',
      'conversation.renamed',
      'member.changed',
      'member.changed',
    ];
    for (const client of [a, b, bobsLaptop]) {
      const pushed = entriesIn(client, conversationId);
      expect(pushed.map(seqOf)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(pushed.map((entry) => entry.type)).to.deep.equal(expectedTypes);
    }
    expect(entriesIn(c, conversationId).map(seqOf)).to.deep.equal([9, 10]);
    expect(entriesIn(a, conversationId)[2]).to.deep.include({
      type: 'message.edited',
      conversationId,
      seq: 3,
      messageId: first,
      body: 'hello, edited',
      actorId: alice.id,
    });
    expect(entriesIn(a, conversationId)[6]).to.deep.equal({
      type: 'message.deleted',
      conversationId,
      seq: 7,
      messageId: reply,
      actorId: bob.id,
    });
    expect(entriesIn(a, conversationId)[9]).to.deep.equal({
      type: 'member.changed',
      conversationId,
      seq: 10,
      userId: carol.id,
      change: 'removed',
      actorId: alice.id,
    });

    // log.get gives the same entries in the same order; only the deleted message's text is gone.
    const log = await readLog(b, conversationId);
    const pushedToBob = entriesIn(b, conversationId).map((entry) =>
      entry.type === 'message.new' && entry.message.id === reply
        ? { ...entry, message: { ...entry.message, body: undefined } }
        : entry,
    );
    expect(JSON.parse(JSON.stringify(log))).to.deep.equal(JSON.parse(JSON.stringify(pushedToBob)));
    expect(log[1]?.message).to.include({ replyTo: first }).and.not.have.property('body');

    // history.get shows the current state; session.ready's lastSeq is the log's head.
    const history = await a.request('history.get', { conversationId });
    expect(history.messages).to.have.length(2);
    expect(history.messages[0]).to.deep.include({
      id: first,
      body: 'hello, edited',
      reactions: [{ emoji: '👩‍💻', count: 1, me: true }],
    });
    expect(history.messages[0].editedAt).to.be.a('string');
    expect(history.messages[1]).to.deep.include({ id: reply, deleted: true, replyTo: first, reactions: [] });
    expect(history.messages[1]).to.not.have.property('body');
    const replica = new LogReplica(alice.id);
    replica.apply(log);
    expect(comparable(history.messages)).to.deep.equal(replica.current());
    const again = await ChatClient.connect(edgeB(), bob.accessToken);
    const entry = again.ready?.conversations.find((conv: { id: string }) => conv.id === conversationId);
    expect(entry).to.include({ lastSeq: 10, title: 'renamed', unread: 1 });
    for (const client of [a, b, bobsLaptop, c, again]) client.close();
  });

  it('lets only the sender edit, the sender or the owner delete, members react, and stops a removed member at their removal', async () => {
    const a = await ChatClient.connect(edgeA(), alice.accessToken);
    const b = await ChatClient.connect(edgeB(), bob.accessToken);
    const c = await ChatClient.connect(edgeA(), carol.accessToken);
    const d = await ChatClient.connect(edgeB(), dave.accessToken);
    const conversationId = await group(a, [bob, carol]);
    const fromBob = await send(b, conversationId, 'bob writes');
    const fromCarol = await send(c, conversationId, 'carol writes');

    expect(await refusal(a.request('message.edit', { conversationId, messageId: fromBob, body: 'x' }))).to.equal(
      'forbidden',
    );
    expect(await refusal(c.request('message.delete', { conversationId, messageId: fromBob }))).to.equal('forbidden');
    // The owner deletes anyone's message.
    expect((await a.request('message.delete', { conversationId, messageId: fromBob })).seq).to.equal(3);
    expect(await refusal(b.request('message.edit', { conversationId, messageId: fromBob, body: 'y' }))).to.equal(
      'not_found',
    );
    expect(await refusal(b.request('reaction.add', { conversationId, messageId: fromBob, emoji: '👍' }))).to.equal(
      'not_found',
    );
    expect(
      await refusal(a.request('message.edit', { conversationId, messageId: randomUUID(), body: 'nothing there' })),
    ).to.equal('not_found');
    // A non-member can neither react nor read the log.
    expect(await refusal(d.request('reaction.add', { conversationId, messageId: fromCarol, emoji: '👍' }))).to.equal(
      'forbidden',
    );
    expect(await refusal(d.request('log.get', { conversationId, afterSeq: 0 }))).to.equal('forbidden');
    // Only the owner renames or removes; emoji are short and have no spaces.
    expect(await refusal(b.request('conversation.rename', { conversationId, title: 'mine' }))).to.equal('forbidden');
    expect(await refusal(b.request('conversation.remove_member', { conversationId, userId: carol.id }))).to.equal(
      'forbidden',
    );
    for (const emoji of ['a b', '😀'.repeat(9), '', '\u0007'])
      expect(
        await refusal(b.request('reaction.add', { conversationId, messageId: fromCarol, emoji })),
        JSON.stringify(emoji),
      ).to.equal('bad_request');
    // A message of another conversation is not this one's to change or answer.
    const other = await group(a, [bob], 'other');
    const elsewhere = await send(a, other, 'elsewhere');
    expect(await refusal(a.request('message.edit', { conversationId, messageId: elsewhere, body: 'moved?' }))).to.equal(
      'not_found',
    );
    expect(await refusal(a.request('message.send', { conversationId, body: 'r', replyTo: elsewhere }))).to.equal(
      'not_found',
    );

    // Carol is removed: she hears of it, and then of nothing more.
    const removal = (await a.request('conversation.remove_member', { conversationId, userId: carol.id })).seq;
    expect(removal).to.equal(4);
    await c.waitFor((f) => f.type === 'member.changed' && f.seq === removal);
    await send(a, conversationId, 'after carol left');
    expect((await b.request('reaction.add', { conversationId, messageId: fromCarol, emoji: '🎉' })).seq).to.equal(6);
    await b.waitFor((f) => f.type === 'reaction.changed' && f.seq === 6);
    await sleep(300);
    expect(entriesIn(c, conversationId).map(seqOf)).to.deep.equal([1, 2, 3, 4]);
    expect(await refusal(c.request('message.send', { conversationId, body: 'still here?' }))).to.equal('forbidden');
    // Her log ends at her removal, wherever she starts reading.
    const hers = await readLog(c, conversationId);
    expect(hers.map(seqOf)).to.deep.equal([1, 2, 3, 4]);
    expect((await c.request('log.get', { conversationId, afterSeq: 4 })).entries).to.deep.equal([]);
    expect((await readLog(b, conversationId)).map(seqOf)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    for (const client of [a, b, c, d]) client.close();
  });

  it('gives a client back exactly the 200 entries of every kind it missed, and they fold to history.get', async () => {
    const a = await ChatClient.connect(edgeA(), alice.accessToken);
    const conversationId = await group(a, [bob]);
    const b = await ChatClient.connect(edgeB(), bob.accessToken);
    await send(a, conversationId, 'before');
    await b.waitFor((f) => f.type === 'message.new' && f.message.conversationId === conversationId);
    const replica = new LogReplica(bob.id);
    replica.apply(await readLog(b, conversationId));
    b.close();

    // 200 entries while Bob is away: sends, replies, edits, reactions both ways, deletes,
    // renames and membership changes, each answered with the next seq.
    const ids: string[] = [];
    let carolIsIn = false;
    let seq = 1;
    const expectSeq = (answered: number) => {
      seq += 1;
      expect(answered).to.equal(seq);
    };
    for (let round = 0; seq < 201; round += 1) {
      const step = round % 8;
      if (step === 0 || ids.length < 2) {
        const id = await send(a, conversationId, `m${round}`, ids.length > 0 ? { replyTo: ids.at(-1) } : {});
        ids.push(id);
        await a.waitFor((f) => f.type === 'message.new' && f.message.id === id);
        seq += 1;
      } else if (step === 1) {
        expectSeq((await a.request('message.edit', { conversationId, messageId: ids.at(-1), body: `e${round}` })).seq);
      } else if (step === 2) {
        expectSeq((await a.request('reaction.add', { conversationId, messageId: ids.at(-1), emoji: '👍' })).seq);
      } else if (step === 3) {
        expectSeq((await a.request('reaction.add', { conversationId, messageId: ids.at(-2), emoji: '🔥' })).seq);
      } else if (step === 4) {
        expectSeq((await a.request('reaction.remove', { conversationId, messageId: ids.at(-1), emoji: '👍' })).seq);
      } else if (step === 5) {
        const doomed = ids.splice(-2, 1)[0];
        expectSeq((await a.request('message.delete', { conversationId, messageId: doomed })).seq);
      } else if (step === 6) {
        expectSeq((await a.request('conversation.rename', { conversationId, title: `title ${round}` })).seq);
      } else {
        const answer = carolIsIn
          ? await a.request('conversation.remove_member', { conversationId, userId: carol.id })
          : await a.request('conversation.add_member', { conversationId, userId: carol.id });
        carolIsIn = !carolIsIn;
        expectSeq(answer.seq);
      }
    }
    expect(seq).to.equal(201);

    const back = await ChatClient.connect(edgeB(), bob.accessToken);
    const entry = back.ready?.conversations.find((conv: { id: string }) => conv.id === conversationId);
    expect(entry.lastSeq).to.equal(201);
    const missed = (await back.request('log.get', { conversationId, afterSeq: 1, limit: 500 })).entries as Frame[];
    expect(missed).to.have.length(200);
    expect(missed.map(seqOf)).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 2));
    const kinds = new Set(missed.map((e) => e.type));
    expect([...kinds].sort()).to.deep.equal([...ENTRY_TYPES].sort());
    // Pages of the default size (200) give the same.
    expect(await readLog(back, conversationId, 1)).to.deep.equal(missed);
    replica.apply(missed);
    expect(replica.lastSeq).to.equal(201);

    // The copy equals history.get, paged back over entries of other kinds in between.
    const history: Frame[] = [];
    let page = (await back.request('history.get', { conversationId, limit: 20 })).messages as Frame[];
    while (page.length > 0) {
      history.unshift(...page);
      page = (await back.request('history.get', { conversationId, beforeSeq: page[0]?.seq, limit: 20 }))
        .messages as Frame[];
    }
    expect(comparable(history)).to.deep.equal(replica.current());
    expect(replica.title).to.equal(
      back.ready?.conversations.find((c: { id: string }) => c.id === conversationId).title,
    );
    a.close();
    back.close();
  });

  it('erases a deleted message and its edits from every collection of the database', async () => {
    const a = await ChatClient.connect(edgeA(), alice.accessToken);
    const conversationId = await group(a, [bob]);
    const secret = `secret-${randomUUID()}`;
    const messageId = await send(a, conversationId, `${secret} original`);
    await a.waitFor((f) => f.type === 'message.new' && f.message.id === messageId);
    await a.request('message.edit', { conversationId, messageId, body: `${secret} edited once` });
    await a.request('message.edit', { conversationId, messageId, body: `${secret} edited twice` });
    const db = mongo.db(MONGO_DB);
    const holding = async () => {
      const found: string[] = [];
      for (const { name } of await db.listCollections().toArray()) {
        for (const doc of await db.collection(name).find({}).toArray())
          if (JSON.stringify(doc).includes(secret)) found.push(`${name}:${String(doc._id)}`);
      }
      return found;
    };
    // A notification bob was sent quotes it (recorded as the notifier does), next to one that
    // quotes another message and keeps its text.
    const notification = (id: string, ids: string[], preview: string) => ({
      _id: id,
      userId: bob.id,
      conversationId,
      messageIds: ids,
      count: ids.length,
      preview,
      createdAt: new Date(),
      deliveredAt: new Date(),
      transport: 'log',
    });
    const other = `other-${randomUUID()}`;
    await db
      .collection('notifications')
      .insertMany([
        notification(`n-${randomUUID()}`, [randomUUID(), messageId], `${secret} edited twice`),
        notification(other, [randomUUID()], 'another message'),
      ] as never[]);
    // The check can fail: before the delete, the text is in four documents.
    expect(await holding()).to.have.length(4);
    await a.request('message.delete', { conversationId, messageId });
    expect(await holding()).to.deep.equal([]);
    expect(await db.collection('notifications').findOne({ _id: other } as never)).to.deep.include({
      preview: 'another message',
    });
    const log = await readLog(a, conversationId);
    expect(JSON.stringify(log)).to.not.include(secret);
    expect(log.map((e) => e.type)).to.deep.equal([
      'message.new',
      'message.edited',
      'message.edited',
      'message.deleted',
    ]);
    a.close();
  });
});
