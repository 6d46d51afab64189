import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatClient, ConversationState, SentMessage } from '@chat/client';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { dropDatabaseAndClose, type PrivateBroker, startPrivateBroker } from '../support/private-services.js';
import { fullHistory, sdkClient, waitUntil, wsUrl } from '../support/sdk-client.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_URL } from '../support/test-environment.js';
import { registerUser } from '../support/users.js';

const PER_SIDE = 40;
const INTERVAL_MS = 25;
const TOTAL = 2 * PER_SIDE;

/** Two SDK clients in one direct conversation, counting what the app would see. */
interface Conversation {
  alice: ChatClient;
  bob: ChatClient;
  conversationId: string;
  /** Per client: messageId → how many `message.new` events it got. */
  newCounts: Map<ChatClient, Map<string, number>>;
  /** Per client: messages acknowledged after more than one attempt. */
  resent: Map<ChatClient, number>;
}

async function openConversation(system: TestSystem, clients: ChatClient[], tag: string): Promise<Conversation> {
  const [aliceUser, bobUser] = await Promise.all([
    registerUser(system.auth.url, `${tag}a`),
    registerUser(system.auth.url, `${tag}b`),
  ]);
  // Alice starts on edge 0, Bob on edge 1.
  const alice = sdkClient(system, [0, 1]);
  const bob = sdkClient(system, [1, 0]);
  clients.push(alice, bob);
  alice.useSession(aliceUser);
  bob.useSession(bobUser);
  await Promise.all([alice.connect(), bob.connect()]);
  const newCounts = new Map<ChatClient, Map<string, number>>();
  const resent = new Map<ChatClient, number>();
  for (const client of [alice, bob]) {
    const counts = new Map<string, number>();
    newCounts.set(client, counts);
    resent.set(client, 0);
    client.on('message.new', (frame) => counts.set(frame.message.id, (counts.get(frame.message.id) ?? 0) + 1));
    client.on('outbox', (entry) => {
      if (entry.status === 'sent' && entry.attempts > 1) resent.set(client, (resent.get(client) ?? 0) + 1);
    });
  }
  const conversationId = (await alice.openDirect({ userId: bobUser.id })).id;
  return { alice, bob, conversationId, newCounts, resent };
}

/**
 * Both sides send PER_SIDE messages, one each every INTERVAL_MS, without waiting for acks; the
 * fault happens at a third, right after a pair of sends, so those are in flight (no ack can
 * arrive within the same tick). Resolves with every clientMsgId sent, every ack, and how many
 * messages each client had unacknowledged at the fault.
 */
async function talk(
  chat: Conversation,
  fault: () => void,
): Promise<{ clientMsgIds: string[]; sent: SentMessage[]; inFlightAtFault: Map<ChatClient, number> }> {
  const sends: Array<Promise<SentMessage>> = [];
  const clientMsgIds: string[] = [];
  const inFlightAtFault = new Map<ChatClient, number>();
  for (let i = 0; i < PER_SIDE; i += 1) {
    for (const [client, name] of [
      [chat.alice, 'alice'],
      [chat.bob, 'bob'],
    ] as const) {
      const clientMsgId = `${name}-${i}-${Date.now().toString(36)}`;
      clientMsgIds.push(clientMsgId);
      sends.push(client.send(chat.conversationId, `${name} ${i}`, { clientMsgId }));
    }
    if (i === Math.floor(PER_SIDE / 3)) {
      // The sends above go out within microtasks (the memory outbox): no ack or close can come
      // in before the fault, which is triggered in this same tick.
      await Promise.resolve();
      fault();
      for (const client of [chat.alice, chat.bob]) inFlightAtFault.set(client, client.outbox().length);
    }
    await sleep(INTERVAL_MS);
  }
  return { clientMsgIds, sent: await Promise.all(sends), inFlightAtFault };
}

/** Every message of both sides in both clients' state exactly once, in seq order, equal to history.get. */
async function expectBothHoldEverything(chat: Conversation, clientMsgIds: string[], sent: SentMessage[]) {
  expect(sent).to.have.length(TOTAL);
  expect(new Set(sent.map((s) => s.messageId)).size, 'one message per clientMsgId').to.equal(TOTAL);
  const held = (client: ChatClient): ConversationState => {
    const state = client.conversation(chat.conversationId);
    if (!state) throw new Error('the client does not hold the conversation');
    return state;
  };
  // No sync() here: the client must find what it missed by itself.
  await waitUntil(
    'both clients hold every message',
    () => held(chat.alice).messages().length >= TOTAL && held(chat.bob).messages().length >= TOTAL,
    45_000,
  );
  await Promise.all([chat.alice.settled(), chat.bob.settled()]);

  const expectedIds = [...clientMsgIds].sort();
  for (const client of [chat.alice, chat.bob]) {
    const messages = held(client).messages();
    expect(messages, 'exactly the messages sent').to.have.length(TOTAL);
    expect(messages.map((m) => m.clientMsgId).sort()).to.deep.equal(expectedIds);
    expect(
      messages.map((m) => m.seq),
      `seq 1..${TOTAL} in order, no gap`,
    ).to.deep.equal(Array.from({ length: TOTAL }, (_, i) => i + 1));
    expect(held(client).appliedSeq).to.equal(TOTAL);
    expect(messages).to.deep.equal(await fullHistory(client, chat.conversationId));
    const counts = chat.newCounts.get(client) ?? new Map();
    expect(counts.size, 'a message.new event for each message').to.equal(TOTAL);
    expect(
      [...counts.values()].every((n) => n === 1),
      'each message.new applied once',
    ).to.equal(true);
    expect(client.outbox(), 'nothing left in the outbox').to.deep.equal([]);
  }
}

/**
 * The edge one SDK client is on is SIGKILLed while both sides send. The client moves to the
 * other edge, resends what was not acknowledged (same clientMsgId) and resumes by seq.
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
    const chat = await openConversation(system, clients, 'sdkfe');
    const survivor = wsUrl(system.edges[1]?.url ?? '');
    expect(chat.alice.edgeUrl).to.equal(wsUrl(system.edges[0]?.url ?? ''));
    expect(chat.bob.edgeUrl).to.equal(survivor);
    const aliceStates: string[] = [];
    chat.alice.on('state', (state) => aliceStates.push(state));

    const { clientMsgIds, sent, inFlightAtFault } = await talk(chat, () => void system.edges[0]?.kill());
    const aliceInFlight = inFlightAtFault.get(chat.alice) ?? 0;
    expect(aliceInFlight, "alice's sends in flight at the kill").to.be.greaterThan(0);

    expect(chat.alice.edgeUrl, 'alice moved to the surviving edge').to.equal(survivor);
    expect(aliceStates[0]).to.equal('reconnecting');
    expect(aliceStates[aliceStates.length - 1]).to.equal('ready');
    expect(chat.bob.state).to.equal('ready');
    await expectBothHoldEverything(chat, clientMsgIds, sent);
    // The send of the kill's own tick cannot have been acked: it went out again, to the other edge.
    expect(chat.resent.get(chat.alice) ?? 0, 'alice resent what was in flight').to.be.at.least(1);
    console.log(
      `      in flight at the kill: alice ${aliceInFlight}, bob ${inFlightAtFault.get(chat.bob)}; alice resent ${chat.resent.get(chat.alice)}`,
    );
  });
});

/**
 * The broker (a node of this test's own) is killed while both sides send and started again a
 * second later. Sends are answered `unavailable` meanwhile and resent; pushes of that time are
 * lost with the edges' queues while the sockets stay up, and the clients fetch what they missed.
 */
describe('fault: broker restart while two SDK clients talk', function () {
  this.timeout(240_000);
  const dbName = `fault_sdk_broker_${Date.now().toString(36)}`;
  let broker: PrivateBroker;
  let system: TestSystem;
  let mongo: MongoClient | undefined;
  const clients: ChatClient[] = [];

  after(async () => {
    for (const client of clients) client.close();
    await system?.stop();
    await broker?.destroy();
    await dropDatabaseAndClose(mongo, dbName);
  });

  it('resends through the outage; both hold every message once, in order, equal to history.get', async () => {
    broker = await startPrivateBroker();
    system = await startSystem({
      edges: 2,
      persisters: 1,
      env: { AMQP_URL: broker.amqpUrl, MONGO_DB: dbName, RETRY_DELAYS_MS: '500,1000' },
    });
    mongo = await new MongoClient(MONGO_URL).connect();
    const chat = await openConversation(system, clients, 'sdkfb');
    const edgeUrls = [chat.alice.edgeUrl, chat.bob.edgeUrl];

    let restarted: Promise<void> = Promise.resolve();
    const { clientMsgIds, sent, inFlightAtFault } = await talk(chat, () => {
      restarted = (async () => {
        await broker.kill();
        await sleep(1_000);
        await broker.restart();
      })();
    });
    await restarted;

    const resent = (chat.resent.get(chat.alice) ?? 0) + (chat.resent.get(chat.bob) ?? 0);
    expect(resent, 'the outage caught sends, which were resent').to.be.greaterThan(0);
    await expectBothHoldEverything(chat, clientMsgIds, sent);
    expect([chat.alice.edgeUrl, chat.bob.edgeUrl], 'the edges lived: nobody moved').to.deep.equal(edgeUrls);
    // The database holds each message once.
    const stored = await mongo
      .db(dbName)
      .collection('messages')
      .countDocuments({ conversationId: chat.conversationId, kind: { $exists: false } });
    expect(stored).to.equal(TOTAL);
    console.log(
      `      in flight at the kill: alice ${inFlightAtFault.get(chat.alice)}, bob ${inFlightAtFault.get(chat.bob)}; resent: alice ${chat.resent.get(chat.alice)}, bob ${chat.resent.get(chat.bob)}`,
    );
  });
});
