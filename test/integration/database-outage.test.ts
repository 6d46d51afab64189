import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { ChatClient } from '../support/chat-client.js';
import { isolatedVhost, type PrivateDatabase, queueDepth, startPrivateDatabase } from '../support/private-services.js';
import { recordScenario } from '../support/reliability.js';
import { dlqReplay } from '../support/scripts.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { registerUser, type TestUser } from '../support/users.js';
import { eventually } from '../support/wait.js';

const LADDER = '500,1000,4000';

/**
 * The database goes away under a steady stream. The system runs against a FerretDB and a vhost
 * of this test's own; the test kills and restarts that FerretDB. Ladder: 0.5 s, 1 s, 4 s: with each
 * attempt's 1 s timeout, an outage of 1 s plus a restart that is slow on a busy machine stays
 * well inside it (a 2.1 s ladder was outlived once in a full run).
 */
describe('database outage', function () {
  this.timeout(180_000);
  let database: PrivateDatabase;
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  let system: TestSystem;
  let mongo: MongoClient;
  let alice: TestUser;
  let bob: TestUser;
  let sender: ChatClient;
  let receiver: ChatClient;
  let conversationId: string;
  const env = () => ({
    AMQP_URL: vhost.amqpUrl,
    MONGO_URL: database.url,
    MONGO_DB: 'outage',
    RETRY_DELAYS_MS: LADDER,
    MONGO_TIMEOUT_MS: '1000',
    MONGO_SOCKET_TIMEOUT_MS: '5000',
  });
  const acked = new Set<string>();

  before(async () => {
    database = await startPrivateDatabase();
    vhost = await isolatedVhost('outage');
    system = await startSystem({ edges: 2, persisters: 1, env: env() });
    mongo = await new MongoClient(database.url).connect();
    alice = await registerUser(system.auth.url, 'alice');
    bob = await registerUser(system.auth.url, 'bob');
    sender = await ChatClient.connect(system.edges[0]?.url ?? '', alice.accessToken);
    receiver = await ChatClient.connect(system.edges[1]?.url ?? '', bob.accessToken);
    conversationId = (await sender.request('conversation.open_direct', { userId: bob.id })).conversation.id;
    // Opening announces membership.changed, and its return drops the sender's edge cache entry.
    // The outage must begin with that entry loaded, so wait until the announcement is behind us:
    // a message pushed back to the sender on edge 0 was queued after it.
    await send(1, 'warm-up');
    await sender.waitFor((f) => f.type === 'message.new' && f.message.conversationId === conversationId, 15_000);
  });

  after(async () => {
    sender?.close();
    receiver?.close();
    await mongo?.close().catch(() => undefined);
    await system?.stop();
    await vhost?.remove();
    await database?.destroy();
  });

  const send = async (count: number, tag: string) => {
    const acks = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        sender.request('message.send', { conversationId, body: `${tag} ${i}`, clientMsgId: `${tag}-${i}` }),
      ),
    );
    for (const ack of acks) acked.add(ack.messageId);
  };

  const stored = async () => {
    const docs = await mongo.db('outage').collection('messages').find({ conversationId }).sort({ seq: 1 }).toArray();
    return docs as unknown as Array<{ _id: string; seq: number }>;
  };

  /** Every acked message stored exactly once, seqs 1..n without a gap, and pushed to the receiver once each. */
  const expectEverythingOnce = async () => {
    const docs = await eventually(
      'every acked message stored',
      async () => {
        const rows = await stored();
        return rows.length >= acked.size ? rows : undefined;
      },
      60_000,
    ).catch(async (error: Error) => {
      // Say what was seen, so a failure on a busy machine tells a stall from the dead-letter queue.
      const seen = `${(await stored()).length} of ${acked.size} stored, ${await queueDepth(vhost.name, 'persister.dead')} dead-lettered`;
      throw new Error(`${error.message} (${seen})`);
    });
    expect(docs.map((doc) => doc._id).sort()).to.deep.equal([...acked].sort());
    expect(docs.map((doc) => doc.seq)).to.deep.equal(Array.from({ length: docs.length }, (_, i) => i + 1));
    const pushed = await receiver.waitForCount(
      (f) => f.type === 'message.new' && f.message.conversationId === conversationId,
      acked.size,
      30_000,
    );
    expect(new Set(pushed.map((f) => f.message.id)).size).to.equal(pushed.length);
    expect(pushed.map((f) => f.message.id).sort()).to.deep.equal([...acked].sort());
    const storedIds = new Set(docs.map((doc) => doc._id));
    return {
      persisted: docs.length,
      delivered: pushed.length,
      lost: [...acked].filter((id) => !storedIds.has(id)).length,
      duplicated: pushed.length - new Set(pushed.map((f) => f.message.id)).size,
    };
  };

  it('shorter than the retry ladder: messages arrive late, none lost', async () => {
    await send(10, 'before');
    const killedAt = Date.now();
    await database.kill();
    await send(20, 'during');
    await sleep(1_000);
    await database.restart();
    const counts = await expectEverythingOnce();
    const recoveryMs = Date.now() - killedAt;
    expect(await queueDepth(vhost.name, 'persister.dead')).to.equal(0);
    recordScenario({
      scenario: '2a. database outage shorter than the retry ladder',
      load: '10 messages before, 20 during the outage',
      fault:
        'SIGKILL of the MongoDB-protocol server, restarted 1 s later (ladder 0.5 s, 1 s, 4 s); recovery counted from the kill',
      acked: acked.size,
      unavailable: 0,
      ...counts,
      recoveryMs,
    });
  });

  it('longer than the ladder: dead-lettered, then dlq:replay restores every one exactly once', async () => {
    // The edge's membership entry expires after a minute; reload it while the database is up.
    await send(1, 'warm-up-2');
    await eventually('the warm-up stored', async () => (await stored()).length === acked.size, 30_000);
    await database.kill();
    await send(15, 'outage');
    await eventually(
      '15 messages dead-lettered',
      async () => (await queueDepth(vhost.name, 'persister.dead')) === 15,
      60_000,
      500,
    );
    await database.restart();
    await sleep(500);
    const storedBefore = acked.size - 15;
    expect(await stored()).to.have.length(storedBefore);

    const dry = await dlqReplay(['--dry-run'], { AMQP_URL: vhost.amqpUrl, RETRY_DELAYS_MS: LADDER });
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout.match(/^would move /gm)).to.have.length(15);
    expect(dry.stdout).to.include('retries exhausted');
    expect(dry.stdout).to.include(`conversation=${conversationId}`);
    expect(dry.stdout).to.match(/dry run: 15 dead messages scanned, 15 would be moved/);
    expect(await stored()).to.have.length(storedBefore);

    const replayStartedAt = Date.now();
    const firstFive = await dlqReplay(['--limit', '5'], { AMQP_URL: vhost.amqpUrl, RETRY_DELAYS_MS: LADDER });
    expect(firstFive.code, firstFive.stderr).to.equal(0);
    expect(firstFive.stdout.match(/^moved /gm)).to.have.length(5);
    const unmatched = await dlqReplay(['--reason', 'no such reason'], {
      AMQP_URL: vhost.amqpUrl,
      RETRY_DELAYS_MS: LADDER,
    });
    expect(unmatched.stdout).to.match(/0 moved/);
    const rest = await dlqReplay(['--reason', 'RETRIES EXHAUSTED'], {
      AMQP_URL: vhost.amqpUrl,
      RETRY_DELAYS_MS: LADDER,
    });
    expect(rest.code, rest.stderr).to.equal(0);
    expect(rest.stdout).to.match(/10 moved to chat\.inbound/);

    const counts = await expectEverythingOnce();
    recordScenario({
      scenario: '2b. database outage longer than the retry ladder, then dlq:replay',
      load: '15 messages during the outage',
      fault: 'server down past the last rung: all 15 dead-lettered, replayed in two runs',
      acked: acked.size,
      unavailable: 0,
      ...counts,
      recoveryMs: Date.now() - replayStartedAt,
    });
    await eventually(
      'dead-letter queue empty',
      async () => (await queueDepth(vhost.name, 'persister.dead')) === 0,
      15_000,
      500,
    );
    const empty = await dlqReplay([], { AMQP_URL: vhost.amqpUrl, RETRY_DELAYS_MS: LADDER });
    expect(empty.code).to.equal(0);
    expect(empty.stdout).to.match(/0 dead messages scanned, 0 moved/);
  });
});
