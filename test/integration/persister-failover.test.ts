import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { openDirectPairs } from '../support/direct-pairs.js';
import { activeConsumerOf, management } from '../support/management-api.js';
import { dropDatabaseAndClose, isolatedVhost } from '../support/private-services.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_URL } from '../support/test-environment.js';
import { eventually } from '../support/wait.js';

/**
 * Two persisters side by side, many conversations spread over the shards, and the active
 * persister SIGKILLed in the middle of the stream: the other takes its shards over, and every
 * acked message is stored exactly once, gap-free, and pushed once.
 */
describe('two persisters and a persister crash mid-stream', function () {
  this.timeout(240_000);
  const PAIRS = 16;
  const PER_SENDER = 60;
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  let system: TestSystem;
  let mongo: MongoClient;
  const dbName = `failover_${Date.now().toString(36)}`;

  before(async () => {
    vhost = await isolatedVhost('failover');
    system = await startSystem({ edges: 2, persisters: 2, env: { AMQP_URL: vhost.amqpUrl, MONGO_DB: dbName } });
    mongo = await new MongoClient(MONGO_URL).connect();
  });

  after(async () => {
    await system?.stop();
    await dropDatabaseAndClose(mongo, dbName);
    await vhost?.remove();
  });

  it('loses and duplicates nothing when the active persister is SIGKILLed', async () => {
    const pairs = await openDirectPairs(
      {
        authUrl: system.auth.url,
        senderEdgeUrl: system.edges[0]?.url ?? '',
        receiverEdgeUrl: system.edges[1]?.url ?? '',
        loginPrefix: '',
      },
      PAIRS,
    );

    // Which persister holds the shards now? (Single active consumer: one per shard.)
    const holder = await eventually(
      'an active persister on shard 0',
      () => activeConsumerOf(vhost.name, 'persister.messages.0'),
      15_000,
    );
    const victim = system.persisters.find((p) => holder.endsWith(`:${p.port}`));
    const survivor = system.persisters.find((p) => p !== victim);
    expect(victim, holder).to.not.equal(undefined);

    const acked = new Map<string, Set<string>>();
    let sent = 0;
    let killed = false;
    await Promise.all(
      pairs.map(async ({ sender, conversationId }) => {
        const ids = new Set<string>();
        acked.set(conversationId, ids);
        for (let i = 0; i < PER_SENDER; i += 1) {
          const ack = await sender.request(
            'message.send',
            { conversationId, body: `m${i}`, clientMsgId: `m${i}` },
            30_000,
          );
          ids.add(ack.messageId);
          sent += 1;
          if (!killed && sent >= (PAIRS * PER_SENDER) / 3) {
            killed = true;
            await victim?.kill();
          }
        }
      }),
    );
    expect(killed).to.equal(true);
    const total = PAIRS * PER_SENDER;
    expect([...acked.values()].reduce((n, ids) => n + ids.size, 0)).to.equal(total);

    const messages = mongo.db(dbName).collection('messages');
    await eventually(
      'every acked message stored',
      async () => (await messages.countDocuments()) === total,
      60_000,
      500,
    );
    for (const { receiver, conversationId } of pairs) {
      const rows = await messages.find({ conversationId }).sort({ seq: 1 }).toArray();
      expect(rows.map((row) => row._id).sort()).to.deep.equal([...(acked.get(conversationId) ?? [])].sort());
      expect(rows.map((row) => row.seq)).to.deep.equal(Array.from({ length: PER_SENDER }, (_, i) => i + 1));
      const pushed = await receiver.waitForCount(
        (f) => f.type === 'message.new' && f.message.conversationId === conversationId,
        PER_SENDER,
        30_000,
      );
      expect(pushed.map((f) => f.message.seq)).to.deep.equal(Array.from({ length: PER_SENDER }, (_, i) => i + 1));
    }
    // The conversations spread over the shards (the broker's counters refresh every few seconds).
    const shardsUsed = await eventually(
      'publish counts on the shard queues',
      async () => {
        let used = 0;
        for (let shard = 0; shard < 8; shard += 1) {
          const info = (await management(
            'GET',
            `/queues/${encodeURIComponent(vhost.name)}/persister.messages.${shard}`,
          )) as {
            message_stats?: { publish?: number };
          };
          if ((info.message_stats?.publish ?? 0) > 0) used += 1;
        }
        return used >= 4 ? used : 0;
      },
      20_000,
      1_000,
    );
    expect(shardsUsed).to.be.at.least(4);

    // The survivor took the shard over.
    await eventually(
      'the surviving persister active on shard 0',
      async () => (await activeConsumerOf(vhost.name, 'persister.messages.0'))?.endsWith(`:${survivor?.port}`),
      15_000,
    );
    for (const { sender, receiver } of pairs) {
      sender.close();
      receiver.close();
    }
  });
});
