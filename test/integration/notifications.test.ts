import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { gapAfter } from '../../apps/notifier/src/notification-pacing.js';
import { PresenceStore } from '../../libs/presence-store/src/index.js';
import { type AppProcess, REPO_ROOT, startApp } from '../support/app-process.js';
import { ChatClient } from '../support/chat-client.js';
import { get } from '../support/http.js';
import { dropDatabaseAndClose, isolatedVhost } from '../support/private-services.js';
import { isFromChat } from '../support/readme-webhook-verifier.js';
import { recordScenario } from '../support/reliability.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { MONGO_URL, REDIS_PREFIX, REDIS_URL } from '../support/test-environment.js';
import { registerUser, type TestUser } from '../support/users.js';
import { eventually } from '../support/wait.js';
import { verifiedOnArrival, WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'test-webhook-secret-of-some-length';
const BOARD_TOKEN = 'test-board-token-of-some-length';
const COLLAPSE_MS = 1_500;
const COLLAPSE_MAX_MS = 10_000;

/**
 * Offline recipients get one notification per conversation and window, through a real webhook
 * that fails first and then accepts; online members and the sender get none; who reads or comes
 * online meanwhile gets none; jobs survive a notifier SIGKILL; and a conversation that stays
 * unread is notified less and less often, until its recipient is back.
 */
describe('offline notifications', function () {
  this.timeout(120_000);
  const receiver = new WebhookReceiver();
  const dbName = `notify_${Date.now().toString(36)}`;
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  let system: TestSystem;
  let notifier: AppProcess;
  let mongo: MongoClient;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let aliceClient: ChatClient;
  let carolClient: ChatClient;
  let notifierEnv: Record<string, string>;

  before(async () => {
    const url = await receiver.start();
    vhost = await isolatedVhost('notify');
    notifierEnv = {
      AMQP_URL: vhost.amqpUrl,
      MONGO_DB: dbName,
      NOTIFIER_WEBHOOK_URL: url,
      NOTIFIER_WEBHOOK_SECRET: SECRET,
      NOTIFIER_COLLAPSE_MS: String(COLLAPSE_MS),
      NOTIFIER_COLLAPSE_MAX_MS: String(COLLAPSE_MAX_MS),
      // A second or more between attempts, so a retry's timestamp differs from the first one's.
      NOTIFIER_BACKOFF_MS: '1000',
      NOTIFIER_WEBHOOK_TIMEOUT_MS: '2000',
      NOTIFIER_BOARD_TOKEN: BOARD_TOKEN,
      LOG_LEVEL: 'info',
    };
    system = await startSystem({
      edges: 2,
      persisters: 1,
      withPresence: true,
      env: { AMQP_URL: vhost.amqpUrl, MONGO_DB: dbName },
    });
    notifier = await startApp('notifier', notifierEnv);
    mongo = await new MongoClient(MONGO_URL).connect();
    [alice, bob, carol] = (await Promise.all(
      ['alice', 'bob', 'carol'].map((tag) => registerUser(system.auth.url, tag)),
    )) as [TestUser, TestUser, TestUser];
    aliceClient = await ChatClient.connect(system.edges[0]?.url ?? '', alice.accessToken);
    carolClient = await ChatClient.connect(system.edges[1]?.url ?? '', carol.accessToken);
  });

  after(async () => {
    aliceClient?.close();
    carolClient?.close();
    await notifier?.stop();
    await system?.stop();
    await dropDatabaseAndClose(mongo, dbName);
    await vhost?.remove();
    await receiver.stop();
  });

  const group = async (title: string) =>
    (await aliceClient.request('conversation.create_group', { title, members: [bob.id, carol.id] })).conversation
      .id as string;
  const send = async (conversationId: string, bodies: string[]) => {
    const ids: string[] = [];
    for (const body of bodies)
      ids.push((await aliceClient.request('message.send', { conversationId, body })).messageId);
    return ids;
  };
  const forConversation = (conversationId: string) =>
    receiver.accepted().filter((request) => request.json.conversationId === conversationId);
  const someFor = (conversationId: string) => {
    const found = forConversation(conversationId);
    return found.length > 0 ? found : null;
  };

  it('sends one signed notification for a window of messages, after a failed first attempt, to the offline member only', async () => {
    receiver.answerWith((index) => (index === 0 ? 500 : 200));
    const conversationId = await group('weekend');
    const messageIds = await send(conversationId, [
      'hello?',
      'are you there',
      'call me back when you can, it is about the trip',
    ]);

    const [notice] = await eventually('an accepted notification', () => someFor(conversationId), 20_000);
    const attempts = receiver.requests.filter((r) => JSON.parse(r.body).conversationId === conversationId);
    expect(attempts.map((r) => r.status)).to.deep.equal([500, 200]);
    expect(attempts[0]?.body).to.equal(attempts[1]?.body);
    expect(notice?.json).to.deep.equal({
      userId: bob.id,
      conversationId,
      messageIds,
      count: 3,
      preview: 'call me back when you can, it is about the trip',
      createdAt: notice?.json.createdAt,
    });
    // Each attempt is signed afresh: the same id, a later timestamp, another signature, and each
    // passes the README's check when it arrives.
    const [first, second] = attempts as [(typeof attempts)[0], (typeof attempts)[0]];
    expect(second.headers['x-chat-notification-id']).to.match(/^[0-9a-f]{32}$/);
    expect(second.headers['x-chat-notification-id']).to.equal(first.headers['x-chat-notification-id']);
    expect(Number(second.headers['x-chat-timestamp'])).to.be.greaterThan(Number(first.headers['x-chat-timestamp']));
    expect(second.headers['x-chat-signature']).to.not.equal(first.headers['x-chat-signature']);
    expect(attempts.map((attempt) => verifiedOnArrival(attempt, SECRET))).to.deep.equal([true, true]);
    expect(verifiedOnArrival(second, 'another-secret-entirely')).to.equal(false);
    // The accepted request, captured and replayed six minutes later, is refused.
    expect(isFromChat(second.headers, second.body, SECRET, second.at / 1000 + 6 * 60)).to.equal(false);

    await sleep(COLLAPSE_MS + 500);
    // Nothing for the sender, nothing for carol (online), nothing twice.
    expect(forConversation(conversationId).map((r) => r.json.userId)).to.deep.equal([bob.id]);
    const stored = await mongo.db(dbName).collection('notifications').find({ conversationId }).toArray();
    expect(stored).to.have.length(1);
    expect(stored[0]).to.include({ userId: bob.id, count: 3, transport: 'webhook' });
  });

  it("takes an unchanged window's messages from its pending set, and reads the log for a window edited or deleted in since", async () => {
    receiver.answerWith(() => 200);
    const windowsRead = async (source: 'pending' | 'log') => {
      const text = await (await fetch(`${notifier.metricsUrl}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('chat_notifier_windows_read_total{') && l.includes(`source="${source}"`));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const before = { pending: await windowsRead('pending'), log: await windowsRead('log') };
    const unchanged = await group('unchanged');
    const unchangedIds = await send(unchanged, ['first', 'second, the latest']);
    const changed = await group('changed');
    const [kept, deleted, edited] = await send(changed, ['kept', 'deleted before the window closed', 'as sent']);
    await aliceClient.request('message.delete', { conversationId: changed, messageId: deleted });
    await aliceClient.request('message.edit', { conversationId: changed, messageId: edited, body: 'as edited' });

    const [fromPending] = await eventually('the unchanged window notified', () => someFor(unchanged), 20_000);
    expect(fromPending?.json).to.include({ userId: bob.id, count: 2, preview: 'second, the latest' });
    expect(fromPending?.json.messageIds).to.deep.equal(unchangedIds);
    // The log as it is now: the deleted message is not told of, and the preview is the edited text.
    const [fromLog] = await eventually('the changed window notified', () => someFor(changed), 20_000);
    expect(fromLog?.json).to.include({ userId: bob.id, count: 2, preview: 'as edited' });
    expect(fromLog?.json.messageIds).to.deep.equal([kept, edited]);
    expect(await windowsRead('pending')).to.equal(before.pending + 1);
    expect(await windowsRead('log')).to.equal(before.log + 1);
  });

  it('tells the notifier nothing of messages between members who are online', async () => {
    const handled = async () => {
      const text = await (await fetch(`${notifier.metricsUrl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('chat_notifier_events_handled_total{'));
      // The first test's notifications were handled, so the counter is there to compare.
      expect(line, 'the notifier counts what it handles').to.be.a('string');
      return Number(line?.split(' ').at(-1));
    };
    const opened = await aliceClient.request('conversation.open_direct', { userId: carol.id });
    const conversationId = opened.conversation.id as string;
    const before = await handled();
    await send(conversationId, ['are you there?', 'yes, both online', 'good']);
    await carolClient.waitForCount((f) => f.type === 'message.new' && f.message.conversationId === conversationId, 3);
    await sleep(500);
    // Before the writer looked presence up, each written batch reached the notifier to be judged there.
    expect(await handled()).to.equal(before);
    expect(forConversation(conversationId)).to.deep.equal([]);
  });

  it('notifies nobody who came online, or read the messages, before the window closed', async () => {
    receiver.answerWith(() => 200);
    const cameOnline = await group('came online');
    await send(cameOnline, ['ping']);
    const pingSentAt = Date.now();
    const bobClient = await ChatClient.connect(system.edges[1]?.url ?? '', bob.accessToken);

    // Bob must be online when the first window closes and offline (having read) when the second
    // does: the windows are spaced a whole window apart, and he leaves between them, with room
    // either side for a job that runs late. Without the spacing the order hung on how fast the
    // steps between happened to be.
    await sleep(COLLAPSE_MS);
    const readMeanwhile = await group('read meanwhile');
    await send(readMeanwhile, ['one', 'two']);
    await carolClient.waitFor(
      (f) => f.type === 'message.new' && f.message.conversationId === readMeanwhile && f.message.seq === 2,
    );
    const read = await bobClient.request('message.read', { conversationId: readMeanwhile, seq: 2 });
    expect(read.seq).to.equal(2);
    await sleep(Math.max(0, pingSentAt + COLLAPSE_MS + 700 - Date.now()));
    bobClient.close();
    await bobClient.closed;

    await sleep(COLLAPSE_MS * 2 + 1_000);
    expect(forConversation(cameOnline)).to.deep.equal([]);
    expect(forConversation(readMeanwhile)).to.deep.equal([]);
  });

  it('delivers pending jobs after the notifier is SIGKILLed and restarted, once', async () => {
    receiver.answerWith(() => 200);
    // Bob is offline again (past the grace period); his messages are scheduled, then the notifier dies.
    await sleep(1_500);
    const conversationId = await group('while down');
    const messageIds = await send(conversationId, ['first', 'second']);
    await eventually(
      'the job scheduled',
      async () =>
        (
          await get(`${notifier.url}/queues/api/queues?activeQueue=notifications&status=delayed`, {
            token: BOARD_TOKEN,
          })
        ).status === 200,
      5_000,
    );
    await sleep(300);
    await notifier.kill();
    await sleep(COLLAPSE_MS + 500);
    expect(forConversation(conversationId)).to.deep.equal([]);
    const restartedAt = Date.now();
    notifier = await startApp('notifier', notifierEnv);
    const [notice] = await eventually('the notification after restart', () => someFor(conversationId), 20_000);
    const recoveryMs = Date.now() - restartedAt;
    expect(notice?.json.messageIds).to.deep.equal(messageIds);
    await sleep(COLLAPSE_MS);
    expect(forConversation(conversationId)).to.have.length(1);
    recordScenario({
      scenario: '6. notifier SIGKILL with a job pending',
      load: '2 messages to an offline member, one notification job delayed',
      fault: 'SIGKILL of the notifier during the collapse window, restarted after it',
      acked: messageIds.length,
      unavailable: 0,
      persisted: messageIds.length,
      delivered: forConversation(conversationId).flatMap((r) => r.json.messageIds).length,
      lost: messageIds.filter((id) => !forConversation(conversationId).some((r) => r.json.messageIds.includes(id)))
        .length,
      duplicated: forConversation(conversationId).length - 1,
      recoveryMs,
    });
  });

  it('shows the queue on the notifier port with the board token, and answers /healthz', async () => {
    expect((await get(`${notifier.url}/healthz`)).status).to.equal(200);
    const page = await get(`${notifier.url}/queues`, { token: BOARD_TOKEN });
    expect(page.status).to.equal(200);
    expect(page.text).to.include('<html');
    const queues = await get(`${notifier.url}/queues/api/queues`, { token: BOARD_TOKEN });
    expect(queues.body.queues.map((q: { name: string }) => q.name)).to.include('notifications');
  });

  it('shows no stack trace of a failed attempt through the board, nor any server path', async () => {
    const failing = receiver.requests.length;
    receiver.answerWith((index) => (index === failing ? 500 : 200));
    const conversationId = await group('traceless');
    await send(conversationId, ['one more']);
    await eventually('the notification after a failed attempt', () => someFor(conversationId), 20_000);
    const { list, job } = await eventually('the completed job on the board', async () => {
      const answer = await get(`${notifier.url}/queues/api/queues?activeQueue=notifications&status=completed`, {
        token: BOARD_TOKEN,
      });
      const found = answer.body.queues[0].jobs.find(
        (candidate: { data: { conversationId: string } }) => candidate.data.conversationId === conversationId,
      );
      return found ? { list: answer, job: found } : null;
    });
    // One attempt failed (its stack went through the webhook transport), the second succeeded.
    expect(job).to.deep.include({ attempts: 2, failedReason: 'webhook answered 500', stacktrace: [] });
    const single = await get(`${notifier.url}/queues/api/queues/notifications/${job.id}`, { token: BOARD_TOKEN });
    expect(single.body.job.stacktrace).to.deep.equal([]);
    for (const answer of [list, single]) {
      expect(answer.text).not.to.include(REPO_ROOT);
      expect(answer.text).not.to.match(/\sat \S+ \(|\.js:\d+:\d+/);
    }
    // Not even stored: the queue keeps no stack traces at all.
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('notifications', { connection: redis, prefix: `${REDIS_PREFIX}:bull` });
    try {
      const stored = await queue.getJob(job.id);
      expect(stored?.attemptsMade).to.equal(2);
      expect(stored?.stacktrace).to.deep.equal([]);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });

  it('spaces the notifications of a conversation that stays unread ever further apart, and starts over once its recipient was back', async () => {
    receiver.answerWith(() => 200);
    const conversationId = await group('busy while away');
    // Twelve seconds of chatter while bob is away: one notification per window would be eight.
    const sent: string[] = [];
    const until = Date.now() + 12_000;
    while (Date.now() < until) {
      sent.push(...(await send(conversationId, [`busy ${sent.length}`])));
      await sleep(200);
    }
    const notified = () => forConversation(conversationId).flatMap((request) => request.json.messageIds as string[]);
    await eventually('every message notified', () => notified().length >= sent.length || null, 30_000);
    const notices = forConversation(conversationId);
    expect(notices.map((notice) => notice.json.userId)).to.satisfy((ids: string[]) => ids.every((id) => id === bob.id));
    expect(notified(), 'each message in exactly one notification').to.deep.equal(sent);
    const pacing = { collapseMs: COLLAPSE_MS, collapseMaxMs: COLLAPSE_MAX_MS };
    // Each gap is at least the streak's: 3 s, then 6 s, then 10 s (the longest window). A job
    // that runs late only lengthens a gap; 300 ms covers the webhook's own latency.
    const gaps = notices.slice(1).map((notice, index) => notice.at - (notices[index]?.at ?? 0));
    expect(gaps.length, 'notifications after the first').to.be.within(2, 3);
    for (const [index, gap] of gaps.entries()) {
      expect(gap, `gap ${index + 1} of ${gaps.join(', ')} ms`).to.be.at.least(gapAfter(index + 1, pacing) - 300);
    }

    // Bob comes back and leaves: once he is seen offline, the next message is news again, and
    // its window is the first, short one, not the rest of the 10 s gap.
    const back = await ChatClient.connect(system.edges[0]?.url ?? '', bob.accessToken);
    const returnedAt = Date.now();
    back.close();
    await back.closed;
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('notifications', { connection: redis, prefix: `${REDIS_PREFIX}:bull` });
    try {
      const presence = new PresenceStore(redis, REDIS_PREFIX);
      await eventually(
        'bob seen offline',
        async () => ((await presence.lastSeenOf([bob.id])).get(bob.id) ?? 0) >= returnedAt,
        10_000,
      );
      const welcomedAt = Date.now();
      const [welcome] = await send(conversationId, ['welcome back']);
      // Whatever state the job is in by now (its window is short, and may have closed already).
      const job = await eventually('the window job', async () =>
        (await queue.getJobs(['delayed', 'wait', 'active', 'completed'])).find(
          (candidate) => candidate.data.conversationId === conversationId && candidate.timestamp >= welcomedAt,
        ),
      );
      expect(job.opts.delay).to.equal(COLLAPSE_MS);
      const last = await eventually(
        'the notification after the return',
        () =>
          forConversation(conversationId).at(-1)?.json.messageIds.includes(welcome)
            ? forConversation(conversationId).at(-1)
            : null,
        20_000,
      );
      expect(last?.json.messageIds).to.deep.equal([welcome]);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });
});
