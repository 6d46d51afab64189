import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { ChatClient, type FrameError } from '../support/chat-client.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { registerUser, type TestUser } from '../support/users.js';

/** Read cursors, read receipts and unread counts, across nodes, devices and reconnects. */
describe('read state and resume', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    system = await startSystem({ edges: 2, persisters: 1 });
    [alice, bob] = (await Promise.all(['alice', 'bob'].map((tag) => registerUser(system.auth.url, tag)))) as [
      TestUser,
      TestUser,
    ];
  });

  after(async () => {
    await system?.stop();
  });

  const edgeA = () => system.edges[0]?.url ?? '';
  const edgeB = () => system.edges[1]?.url ?? '';
  const entryOf = (client: ChatClient, conversationId: string) =>
    client.ready?.conversations.find((c: { id: string }) => c.id === conversationId);

  it('moves the cursor forward only, pushes message.read to the others, and counts unread across reconnects', async () => {
    const a = await ChatClient.connect(edgeA(), alice.accessToken);
    const { conversation } = await a.request('conversation.open_direct', { userId: bob.id });
    const conversationId = conversation.id as string;
    for (let i = 1; i <= 5; i += 1)
      await a.request('message.send', { conversationId, body: `m${i}`, clientMsgId: `m${i}` });
    await a.waitForCount((f) => f.type === 'message.new' && f.message.conversationId === conversationId, 5);

    // Bob comes back on two devices: 5 unread on each.
    const phone = await ChatClient.connect(edgeB(), bob.accessToken);
    const laptop = await ChatClient.connect(edgeA(), bob.accessToken);
    expect(entryOf(phone, conversationId)).to.include({ lastSeq: 5, unread: 5 });
    const missed = await phone.request('history.get', { conversationId, afterSeq: 0 });
    expect(missed.messages.map((m: { body: string }) => m.body)).to.deep.equal(['m1', 'm2', 'm3', 'm4', 'm5']);

    const ack = await phone.request('message.read', { conversationId, seq: 3 });
    expect(ack).to.include({ conversationId, seq: 3 });
    const receipt = await a.waitFor((f) => f.type === 'message.read');
    expect(receipt).to.deep.equal({ type: 'message.read', conversationId, userId: bob.id, seq: 3 });
    // Bob's other device learns it too; the reading connection needs no echo.
    await laptop.waitFor((f) => f.type === 'message.read' && f.seq === 3);
    await sleep(300);
    expect(phone.frames.filter((f) => f.type === 'message.read')).to.deep.equal([]);

    // A lower seq never moves the cursor back, and announces nothing.
    const lower = await laptop.request('message.read', { conversationId, seq: 2 });
    expect(lower.seq).to.equal(3);
    await sleep(300);
    expect(a.frames.filter((f) => f.type === 'message.read')).to.have.length(1);

    phone.close();
    laptop.close();
    const again = await ChatClient.connect(edgeB(), bob.accessToken);
    expect(entryOf(again, conversationId)).to.include({ lastSeq: 5, unread: 2 });
    const rest = await again.request('history.get', { conversationId, afterSeq: 3 });
    expect(rest.messages.map((m: { seq: number }) => m.seq)).to.deep.equal([4, 5]);

    // Reading past the end reads up to lastSeq.
    expect((await again.request('message.read', { conversationId, seq: 99 })).seq).to.equal(5);
    again.close();
    const caughtUp = await ChatClient.connect(edgeA(), bob.accessToken);
    expect(entryOf(caughtUp, conversationId)).to.include({ lastSeq: 5, unread: 0 });

    // Own messages never count as unread; the other side's do.
    await caughtUp.request('message.send', { conversationId, body: 'reply' });
    await caughtUp.waitFor((f) => f.type === 'message.new' && f.message.seq === 6);
    caughtUp.close();
    a.close();
    const bobBack = await ChatClient.connect(edgeB(), bob.accessToken);
    const aliceBack = await ChatClient.connect(edgeB(), alice.accessToken);
    expect(entryOf(bobBack, conversationId)).to.include({ lastSeq: 6, unread: 0 });
    expect(entryOf(aliceBack, conversationId)).to.include({ lastSeq: 6, unread: 1 });
    bobBack.close();
    aliceBack.close();
  });

  it('refuses read receipts from non-members and malformed seqs', async () => {
    const mallory = await registerUser(system.auth.url, 'mallory');
    const a = await ChatClient.connect(edgeA(), alice.accessToken);
    const { conversation } = await a.request('conversation.open_direct', { userId: bob.id });
    const m = await ChatClient.connect(edgeA(), mallory.accessToken);
    const forbidden = (await m
      .request('message.read', { conversationId: conversation.id, seq: 1 })
      .catch((e) => e)) as FrameError;
    expect(forbidden.code).to.equal('forbidden');
    for (const seq of [-1, 1.5, '3', null]) {
      const bad = (await a
        .request('message.read', { conversationId: conversation.id, seq })
        .catch((e) => e)) as FrameError;
      expect(bad.code, String(seq)).to.equal('bad_request');
    }
    a.close();
    m.close();
  });

  describe('delivery receipts', () => {
    let carol: TestUser;
    before(async () => {
      carol = await registerUser(system.auth.url, 'carol');
    });

    async function groupWithMessages(count: number) {
      const a = await ChatClient.connect(edgeA(), alice.accessToken);
      const { conversation } = await a.request('conversation.create_group', { title: 'receipts', members: [bob.id] });
      for (let i = 1; i <= count; i += 1)
        await a.request('message.send', { conversationId: conversation.id, body: `d${i}` });
      await a.waitForCount((f) => f.type === 'message.new' && f.message.conversationId === conversation.id, count);
      return { a, conversationId: conversation.id as string };
    }

    const receiptsFor = (client: ChatClient, conversationId: string, userId: string) =>
      client.frames.filter(
        (f) => f.type === 'receipt.changed' && f.conversationId === conversationId && f.userId === userId,
      );

    it('keeps the highest delivered seq of all devices, never back, and tells the other members', async () => {
      const { a, conversationId } = await groupWithMessages(4);
      const phone = await ChatClient.connect(edgeB(), bob.accessToken);
      const laptop = await ChatClient.connect(edgeA(), bob.accessToken);
      expect(await phone.request('message.delivered', { conversationId, seq: 3 })).to.include({
        conversationId,
        seq: 3,
      });
      // An older device reporting less moves nothing back.
      expect((await laptop.request('message.delivered', { conversationId, seq: 2 })).seq).to.equal(3);
      const told = await a.waitFor((f) => f.type === 'receipt.changed' && f.conversationId === conversationId);
      expect(told).to.deep.include({ userId: bob.id, deliveredSeq: 3, readSeq: 0 });
      // Reading is delivery too; a seq past the last is the last.
      await laptop.request('message.read', { conversationId, seq: 99 });
      await a.waitFor((f) => f.type === 'receipt.changed' && f.conversationId === conversationId && f.readSeq === 4);
      expect(receiptsFor(a, conversationId, bob.id).at(-1)).to.deep.include({ deliveredSeq: 4, readSeq: 4 });
      const { receipts } = await a.request('conversation.receipts', { conversationId });
      expect(receipts).to.have.deep.members([
        { userId: alice.id, deliveredSeq: 0, readSeq: 0 },
        { userId: bob.id, deliveredSeq: 4, readSeq: 4 },
      ]);
      // A member is not told about their own cursors.
      await sleep(400);
      expect(receiptsFor(phone, conversationId, bob.id)).to.deep.equal([]);
      expect(receiptsFor(laptop, conversationId, bob.id)).to.deep.equal([]);
      for (const client of [a, phone, laptop]) client.close();
    });

    it('gathers a burst of moves into a few pushes that end at the latest cursors', async () => {
      const { a, conversationId } = await groupWithMessages(6);
      const phone = await ChatClient.connect(edgeB(), bob.accessToken);
      phone.sendBurst(
        [1, 2, 3, 4, 5, 6].map((seq) => ({ type: 'message.delivered', ref: `d${seq}`, conversationId, seq })),
      );
      await phone.waitForCount((f) => f.type === 'ack' && String(f.ref).startsWith('d'), 6);
      await a.waitFor(
        (f) => f.type === 'receipt.changed' && f.conversationId === conversationId && f.deliveredSeq === 6,
      );
      await sleep(400);
      const pushes = receiptsFor(a, conversationId, bob.id);
      expect(pushes.length).to.be.within(1, 2);
      expect(pushes.at(-1)).to.deep.include({ deliveredSeq: 6, readSeq: 0 });
      a.close();
      phone.close();
    });

    it('answers receipts to members only', async () => {
      const { a, conversationId } = await groupWithMessages(1);
      const c = await ChatClient.connect(edgeA(), carol.accessToken);
      for (const [type, fields] of [
        ['conversation.receipts', { conversationId }],
        ['message.delivered', { conversationId, seq: 1 }],
      ] as const) {
        const refused = (await c.request(type, fields).catch((e) => e)) as FrameError;
        expect(refused.code, type).to.equal('forbidden');
      }
      a.close();
      c.close();
    });
  });

  describe('log.get', () => {
    it('returns the entries after afterSeq exactly as they were pushed, members only', async () => {
      const a = await ChatClient.connect(edgeA(), alice.accessToken);
      const b = await ChatClient.connect(edgeB(), bob.accessToken);
      const { conversation } = await a.request('conversation.create_group', { title: 'log', members: [bob.id] });
      const conversationId = conversation.id as string;
      for (let i = 1; i <= 7; i += 1) await a.request('message.send', { conversationId, body: `entry ${i}` });
      const pushes = await b.waitForCount(
        (f) => f.type === 'message.new' && f.message.conversationId === conversationId,
        7,
      );
      const { entries } = await b.request('log.get', { conversationId, afterSeq: 0 });
      expect(entries).to.deep.equal(pushes.map(({ type, message }) => ({ type, message })));
      const window = await b.request('log.get', { conversationId, afterSeq: 2, limit: 3 });
      expect(window.entries.map((e: { message: { seq: number } }) => e.message.seq)).to.deep.equal([3, 4, 5]);
      expect((await b.request('log.get', { conversationId, afterSeq: 7 })).entries).to.deep.equal([]);

      const carol = await registerUser(system.auth.url, 'carol-log');
      const c = await ChatClient.connect(edgeA(), carol.accessToken);
      const refused = (await c.request('log.get', { conversationId, afterSeq: 0 }).catch((e) => e)) as FrameError;
      expect(refused.code).to.equal('forbidden');
      for (const [fields, message] of [
        [{ conversationId, afterSeq: 0, limit: 501 }, /limit: must be at most 500/],
        [{ conversationId }, /afterSeq: is required/],
      ] as const) {
        const bad = (await b.request('log.get', fields).catch((e) => e)) as FrameError;
        expect(bad.code).to.equal('bad_request');
        expect(bad.frame.message).to.match(message);
      }
      for (const client of [a, b, c]) client.close();
    });
  });
});
