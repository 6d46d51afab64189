import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { type AppProcess, startApp } from '../support/app-process.js';
import { ChatClient } from '../support/chat-client.js';
import { isolatedVhost, startPrivateRedisServer } from '../support/private-services.js';
import { recordScenario } from '../support/reliability.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { registerUser, type TestUser } from '../support/users.js';
import { eventually } from '../support/wait.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Fault 5: Redis (one of this test's own) restarts. Kept data (append-only file, as production
 * Redis must run): a notification job pending during the restart is delivered after it. Lost data
 * (as this machine's Redis, which keeps nothing): presence is rebuilt, because edges re-announce
 * their live connections when the presence worker asks.
 */
describe('fault: Redis restart', function () {
  this.timeout(180_000);
  const receiver = new WebhookReceiver();
  let redis: Awaited<ReturnType<typeof startPrivateRedisServer>>;
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  let system: TestSystem;
  let notifier: AppProcess;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  before(async () => {
    const hook = await receiver.start();
    redis = await startPrivateRedisServer();
    vhost = await isolatedVhost('redis');
    const env = { AMQP_URL: vhost.amqpUrl, REDIS_URL: redis.url };
    system = await startSystem({
      edges: 2,
      persisters: 1,
      withPresence: true,
      env,
      edgeEnv: { PRESENCE_HEARTBEAT_INTERVAL_MS: '300' },
      presenceEnv: { PRESENCE_NODE_TTL_MS: '5000', PRESENCE_SWEEP_INTERVAL_MS: '250' },
    });
    notifier = await startApp('notifier', {
      ...env,
      NOTIFIER_WEBHOOK_URL: hook,
      NOTIFIER_WEBHOOK_SECRET: 'a-secret-for-the-redis-fault',
      NOTIFIER_COLLAPSE_MS: '3000',
      NOTIFIER_BACKOFF_MS: '300',
    });
    [alice, bob, carol] = (await Promise.all(
      ['alice', 'bob', 'carol'].map((tag) => registerUser(system.auth.url, tag)),
    )) as [TestUser, TestUser, TestUser];
  });

  after(async () => {
    await notifier?.stop();
    await system?.stop();
    await vhost?.remove();
    await redis?.destroy();
    await receiver.stop();
  });

  it('keeps a pending notification job across a restart with data kept, and delivers it once', async () => {
    const a = await ChatClient.connect(system.edges[0]?.url ?? '', alice.accessToken);
    const { conversation } = await a.request('conversation.open_direct', { userId: carol.id });
    const { messageId } = await a.request('message.send', {
      conversationId: conversation.id,
      body: 'while you were away',
    });
    // The job waits out its 3 s collapse window in Redis; Redis dies meanwhile.
    await sleep(800);
    const killedAt = Date.now();
    await redis.kill();
    await sleep(1_000);
    await redis.restart({ keepData: true });
    const restartedMs = Date.now() - killedAt;
    const [notice] = await eventually(
      'the notification after the restart',
      () => {
        const found = receiver.accepted().filter((r) => r.json.conversationId === conversation.id);
        return found.length > 0 ? found : null;
      },
      30_000,
    );
    expect(notice?.json.messageIds).to.deep.equal([messageId]);
    await sleep(3_500);
    expect(receiver.accepted().filter((r) => r.json.conversationId === conversation.id)).to.have.length(1);
    const notices = receiver.accepted().filter((r) => r.json.conversationId === conversation.id);
    const stored = (await a.request('history.get', { conversationId: conversation.id })).messages;
    expect(stored.map((m: { id: string }) => m.id)).to.deep.equal([messageId]);
    recordScenario({
      scenario: '5a. Redis restart, data kept (AOF)',
      load: '1 message to an offline user, its notification job pending',
      fault: 'SIGKILL of Redis during the collapse window, restarted 1 s later',
      acked: 1,
      unavailable: 0,
      persisted: stored.length,
      delivered: notices.flatMap((r) => r.json.messageIds).length,
      lost: 1 - new Set(notices.flatMap((r) => r.json.messageIds)).size,
      duplicated: notices.length - 1,
      recoveryMs: restartedMs,
    });
    a.close();
  });

  it('rebuilds presence from the edges after a restart that lost every key', async () => {
    const watcher = await ChatClient.connect(system.edges[0]?.url ?? '', alice.accessToken);
    await watcher.request('conversation.open_direct', { userId: bob.id });
    const bobClient = await ChatClient.connect(system.edges[1]?.url ?? '', bob.accessToken);
    await eventually(
      'bob online',
      async () => (await watcher.request('presence.query', { userIds: [bob.id] })).presence[0].status === 'online',
    );
    const killedAt = Date.now();
    await redis.kill();
    await redis.restart({ keepData: false });
    // Right after the restart Redis knows nobody; within a heartbeat the edges re-announce.
    const rebuiltAt = await eventually(
      'bob online again',
      async () =>
        (await watcher.request('presence.query', { userIds: [bob.id, alice.id] })).presence.every(
          (p: { status: string }) => p.status === 'online',
        ) && Date.now(),
      15_000,
      100,
    );
    recordScenario({
      scenario: '5b. Redis restart, data lost',
      load: '2 users online on two edge nodes',
      fault: 'SIGKILL of Redis, restarted empty',
      acked: null,
      unavailable: null,
      persisted: null,
      delivered: null,
      lost: null,
      duplicated: null,
      recoveryMs: rebuiltAt - killedAt,
    });
    // And the rebuilt state is live: bob leaving is seen.
    bobClient.close();
    await watcher.waitFor(
      (f) => f.type === 'presence.changed' && f.userId === bob.id && f.status === 'offline',
      10_000,
    );
    watcher.close();
  });

  it('announces every message acked while Redis is down, in order, and lastSeq comes from the log', async () => {
    const dave = await registerUser(system.auth.url, 'dave');
    const sender = await ChatClient.connect(system.edges[0]?.url ?? '', dave.accessToken);
    const receiver = await ChatClient.connect(system.edges[1]?.url ?? '', alice.accessToken);
    const { conversation } = await sender.request('conversation.open_direct', { userId: alice.id });
    const conversationId = conversation.id as string;
    const killedAt = Date.now();
    await redis.kill();
    const acked: string[] = [];
    let unavailable = 0;
    for (let i = 0; i < 20; i += 1) {
      try {
        acked.push(
          (await sender.request('message.send', { conversationId, body: `r${i}`, clientMsgId: `r${i}` })).messageId,
        );
      } catch {
        unavailable += 1;
      }
    }
    // Stored, but their heads cannot be raised: the batches wait on the retry ladder.
    await sleep(1_500);
    await redis.restart({ keepData: false });
    const pushes = await receiver.waitForCount(
      (f) => f.type === 'message.new' && f.message.conversationId === conversationId,
      acked.length,
      60_000,
    );
    const recoveredMs = Date.now() - killedAt;
    expect(pushes.map((f) => f.message.id)).to.have.members(acked);
    expect(pushes.map((f) => f.message.seq)).to.deep.equal(acked.map((_, i) => i + 1));
    const again = await ChatClient.connect(system.edges[1]?.url ?? '', alice.accessToken);
    const entry = again.ready?.conversations.find((c: { id: string }) => c.id === conversationId);
    expect(entry?.lastSeq).to.equal(acked.length);
    recordScenario({
      scenario: '5c. Redis down while messages flow',
      load: '20 messages in one conversation, sent one after another',
      fault: 'SIGKILL of Redis before the first, restarted empty 1.5 s after the last',
      acked: acked.length,
      unavailable,
      persisted: pushes.length,
      delivered: new Set(pushes.map((f) => f.message.id)).size,
      lost: acked.length - new Set(pushes.map((f) => f.message.id)).size,
      duplicated: pushes.length - new Set(pushes.map((f) => f.message.id)).size,
      recoveryMs: recoveredMs,
    });
    for (const client of [sender, receiver, again]) client.close();
  });
});
