import type { ChatClient, ConversationState } from '@chat/client';
import { expect } from 'chai';
import { fullHistory, sdkClient, waitUntil, wsUrl } from '../support/sdk-client.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { registerUser } from '../support/users.js';

const PER_SIDE = 40;
const INTERVAL_MS = 25;

/**
 * The edge one SDK client is on is SIGKILLed while both sides send. The client moves to the
 * other edge, resends what was not acknowledged (same clientMsgId) and resumes by seq: every
 * message of both sides is in both clients' state exactly once, in seq order, equal to history.get.
 */
describe('fault: SIGKILL of the edge an SDK client is on', function () {
  this.timeout(180_000);
  let system: TestSystem;
  const clients: ChatClient[] = [];

  after(async () => {
    for (const client of clients) client.close();
    await system?.stop();
  });

  it('moves the client to the other edge; both hold every message once, in order, equal to history.get', async () => {
    system = await startSystem({ edges: 2 });
    const [aliceUser, bobUser] = await Promise.all([
      registerUser(system.auth.url, 'sdkfa'),
      registerUser(system.auth.url, 'sdkfb'),
    ]);
    // Alice starts on edge 0 (to be killed), Bob on edge 1.
    const alice = sdkClient(system, [0, 1]);
    const bob = sdkClient(system, [1, 0]);
    clients.push(alice, bob);
    alice.useSession(aliceUser);
    bob.useSession(bobUser);
    const aliceStates: string[] = [];
    alice.on('state', (state) => aliceStates.push(state));
    await Promise.all([alice.connect(), bob.connect()]);
    const survivor = wsUrl(system.edges[1]?.url ?? '');
    expect(alice.edgeUrl).to.equal(wsUrl(system.edges[0]?.url ?? ''));
    expect(bob.edgeUrl).to.equal(survivor);

    const newCounts = new Map<ChatClient, Map<string, number>>();
    for (const client of [alice, bob]) {
      const counts = new Map<string, number>();
      newCounts.set(client, counts);
      client.on('message.new', (frame) => counts.set(frame.message.id, (counts.get(frame.message.id) ?? 0) + 1));
    }

    const conversationId = (await alice.openDirect({ userId: bobUser.id })).id;
    const sends: Array<Promise<{ messageId: string; clientMsgId: string }>> = [];
    const clientMsgIds: string[] = [];
    let pendingAtKill = -1;
    let queuedWhileDown = 0;
    let resent = 0;
    alice.on('outbox', (entry) => {
      if (entry.status === 'sent' && entry.attempts > 1) resent += 1;
    });
    const killAt = Math.floor(PER_SIDE / 3);
    for (let i = 0; i < PER_SIDE; i += 1) {
      if (i === killAt) {
        // Sends of both sides are in flight: kill the edge Alice is on, and keep sending.
        pendingAtKill = alice.outbox().filter((entry) => entry.status === 'pending').length;
        void system.edges[0]?.kill();
      }
      for (const [client, name] of [
        [alice, 'alice'],
        [bob, 'bob'],
      ] as const) {
        const clientMsgId = `${name}-${i}-${Date.now().toString(36)}`;
        if (client === alice && client.state !== 'ready') queuedWhileDown += 1;
        clientMsgIds.push(clientMsgId);
        sends.push(client.send(conversationId, `${name} ${i}`, { clientMsgId }));
      }
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    }
    const sent = await Promise.all(sends);
    expect(sent).to.have.length(2 * PER_SIDE);
    expect(new Set(sent.map((s) => s.messageId)).size, 'one message per clientMsgId').to.equal(2 * PER_SIDE);

    expect(alice.edgeUrl, 'alice moved to the surviving edge').to.equal(survivor);
    expect(aliceStates.slice(0, 2)).to.deep.equal(['connecting', 'ready']);
    expect(aliceStates).to.include('reconnecting');
    expect(aliceStates[aliceStates.length - 1]).to.equal('ready');

    const held = (client: ChatClient): ConversationState => {
      const state = client.conversation(conversationId);
      if (!state) throw new Error('the client does not hold the conversation');
      return state;
    };
    await waitUntil(
      'both clients hold every message',
      () => held(alice).messages().length >= 2 * PER_SIDE && held(bob).messages().length >= 2 * PER_SIDE,
      30_000,
    );
    await Promise.all([alice.settled(), bob.settled()]);

    const expectedIds = [...clientMsgIds].sort();
    for (const client of [alice, bob]) {
      const messages = held(client).messages();
      expect(messages, 'exactly the messages sent').to.have.length(2 * PER_SIDE);
      expect(messages.map((m) => m.clientMsgId).sort()).to.deep.equal(expectedIds);
      expect(
        messages.map((m) => m.seq),
        'seq 1..80 in order, no gap',
      ).to.deep.equal(Array.from({ length: 2 * PER_SIDE }, (_, i) => i + 1));
      expect(messages).to.deep.equal(await fullHistory(client, conversationId));
      const counts = newCounts.get(client) ?? new Map();
      expect(counts.size, 'a message.new event for each message').to.equal(2 * PER_SIDE);
      expect(
        [...counts.values()].every((n) => n === 1),
        'each message.new applied once',
      ).to.equal(true);
      expect(client.outbox(), 'nothing left in the outbox').to.deep.equal([]);
    }
    // How much the kill caught in flight (printed, not asserted: it depends on timing).
    console.log(
      `      pending in alice's outbox at the kill: ${pendingAtKill}; alice sends queued while reconnecting: ${queuedWhileDown}; resent: ${resent}`,
    );
  });
});
