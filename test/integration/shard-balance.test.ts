import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { startApp } from '../support/app-process.js';
import { openDirectPairs } from '../support/direct-pairs.js';
import { activeConsumerOf, management } from '../support/management-api.js';
import { dropDatabaseAndClose, isolatedVhost } from '../support/private-services.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_URL, RUN_ID } from '../support/test-environment.js';
import { eventually } from '../support/wait.js';

const SHARDS = 8;
const BALANCE_WITHIN_MS = 30_000;

/** How many shards each persister (by its connection name) is the active consumer of. */
async function activeShardCounts(vhost: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let shard = 0; shard < SHARDS; shard += 1) {
    const holder = await activeConsumerOf(vhost, `persister.messages.${shard}`);
    if (holder === undefined) return new Map();
    counts.set(holder, (counts.get(holder) ?? 0) + 1);
  }
  return counts;
}

/** True when every one of `persisters` holds ⌊S/P⌋ or ⌈S/P⌉ shards. */
function balanced(counts: Map<string, number>, persisters: TestSystem['persisters']): boolean {
  const floor = Math.floor(SHARDS / persisters.length);
  const ceil = Math.ceil(SHARDS / persisters.length);
  return persisters.every((p) => {
    const held = counts.get(`persister :${p.port}`) ?? 0;
    return held === floor || held === ceil;
  });
}

/**
 * Persisters share the shards evenly, also after one is killed and restarted and when one more
 * joins, and no handover loses, duplicates or reorders a message.
 */
describe('shard balance across persisters', function () {
  this.timeout(300_000);
  const PAIRS = 12;
  const PER_SENDER = 40;
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  let system: TestSystem;
  let mongo: MongoClient;
  const dbName = `balance_${Date.now().toString(36)}`;

  before(async () => {
    vhost = await isolatedVhost('balance');
    system = await startSystem({
      edges: 2,
      persisters: 2,
      env: { AMQP_URL: vhost.amqpUrl, MONGO_DB: dbName, REDIS_PREFIX: `balance-${RUN_ID}` },
    });
    mongo = await new MongoClient(MONGO_URL).connect();
  });

  after(async () => {
    await system?.stop();
    await dropDatabaseAndClose(mongo, dbName);
    await vhost?.remove();
  });

  const waitForBalance = (label: string) =>
    eventually(
      label,
      async () => balanced(await activeShardCounts(vhost.name), system.persisters),
      BALANCE_WITHIN_MS,
      500,
    );

  it('gives each of 2 persisters 4 of the 8 shards', async () => {
    await waitForBalance('2 persisters balanced');
  });

  it('rebalances after a persister is SIGKILLed and another starts, and to 3 when a third joins, losing nothing', async () => {
    const pairs = await openDirectPairs(
      {
        authUrl: system.auth.url,
        senderEdgeUrl: system.edges[0]?.url ?? '',
        receiverEdgeUrl: system.edges[1]?.url ?? '',
        loginPrefix: 'b',
      },
      PAIRS,
    );
    const acked = new Map<string, string[]>();
    let sent = 0;
    const stream = Promise.all(
      pairs.map(async ({ sender, conversationId }) => {
        const ids: string[] = [];
        acked.set(conversationId, ids);
        for (let i = 0; i < PER_SENDER; i += 1) {
          const ack = await sender.request(
            'message.send',
            { conversationId, body: `b${i}`, clientMsgId: `b${i}` },
            30_000,
          );
          ids.push(ack.messageId);
          sent += 1;
          await new Promise((resolve) => setTimeout(resolve, 40));
        }
      }),
    );

    // Kill one persister mid-stream and start a replacement: a new process, standing by at first.
    await eventually('a third of the stream sent', async () => sent >= (PAIRS * PER_SENDER) / 3, 60_000, 50);
    const victim = system.persisters.shift();
    await victim?.kill();
    await system.addPersister();
    await waitForBalance('2 persisters balanced after a SIGKILL and a restart');

    // One more persister: 8 shards over 3 is 3, 3 and 2.
    await system.addPersister();
    await waitForBalance('3 persisters balanced');
    await stream;

    const total = PAIRS * PER_SENDER;
    const messages = mongo.db(dbName).collection('messages');
    await eventually(
      'every acked message stored',
      async () => (await messages.countDocuments()) === total,
      60_000,
      500,
    );
    for (const { receiver, conversationId } of pairs) {
      const rows = await messages.find({ conversationId }).sort({ seq: 1 }).toArray();
      // Stored once each, gap-free, in the order they were sent (one sender, sequential sends).
      expect(rows.map((row) => row._id)).to.deep.equal(acked.get(conversationId));
      expect(rows.map((row) => row.seq)).to.deep.equal(Array.from({ length: PER_SENDER }, (_, i) => i + 1));
      const pushed = await receiver.waitForCount(
        (f) => f.type === 'message.new' && f.message.conversationId === conversationId,
        PER_SENDER,
        30_000,
      );
      expect(pushed.map((f) => f.message.id)).to.deep.equal(acked.get(conversationId));
    }
    for (const { sender, receiver } of pairs) {
      sender.close();
      receiver.close();
    }
  });

  it('refuses a persister with another shard count, before it declares a queue', async () => {
    const env = { AMQP_URL: vhost.amqpUrl, MONGO_DB: dbName, REDIS_PREFIX: `balance-${RUN_ID}` };
    const queueExists = async (queue: string) => {
      const info = (await management(
        'GET',
        `/queues/${encodeURIComponent(vhost.name)}/${encodeURIComponent(queue)}`,
      )) as { name?: string } | undefined;
      return info?.name === queue;
    };
    expect(await queueExists(`persister.messages.${SHARDS - 1}`), 'the running shards exist').to.equal(true);

    // More shards than the running persisters: refused by the roster, and no new shard queue bound.
    const more = await startApp('persister', { ...env, INBOUND_SHARDS: String(SHARDS * 2) }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(more).to.include(`INBOUND_SHARDS is ${SHARDS * 2}, but 3 running persister(s) use ${SHARDS}`);
    expect(await queueExists(`persister.messages.${SHARDS}`)).to.equal(false);

    // Fewer, with no live roster to ask (another Redis prefix): refused by the shard queue beyond its count.
    const fewer = await startApp('persister', { ...env, INBOUND_SHARDS: '4', REDIS_PREFIX: `lonely-${RUN_ID}` }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(fewer).to.include('shard queue persister.messages.4 exists, but INBOUND_SHARDS is 4');
    // The running persisters were not disturbed.
    await waitForBalance('3 persisters still balanced');
  });
});
