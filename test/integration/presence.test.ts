import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { type AppProcess, startApp } from '../support/app-process.js';
import { ChatClient, type FrameError } from '../support/chat-client.js';
import { activeConsumerOf } from '../support/management-api.js';
import { isolatedVhost } from '../support/private-services.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { registerUser, type TestUser } from '../support/users.js';
import { eventually } from '../support/wait.js';

const NODE_TTL_MS = 2_000;

/**
 * Presence across two edge nodes and two devices, a node that dies without saying goodbye, two
 * presence workers at once, and typing relayed across nodes.
 */
describe('presence and typing', function () {
  this.timeout(120_000);
  let vhost: Awaited<ReturnType<typeof isolatedVhost>>;
  let system: TestSystem;
  let secondWorker: AppProcess;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let watcher: ChatClient;
  let conversationId: string;

  const presenceEnv = { PRESENCE_NODE_TTL_MS: String(NODE_TTL_MS), PRESENCE_SWEEP_INTERVAL_MS: '250' };
  const edgeEnv = { PRESENCE_HEARTBEAT_INTERVAL_MS: '400' };

  before(async () => {
    vhost = await isolatedVhost('presence');
    system = await startSystem({
      edges: 2,
      persisters: 1,
      withPresence: true,
      env: { AMQP_URL: vhost.amqpUrl },
      edgeEnv,
      presenceEnv,
    });
    // Two presence workers at once: events still apply once, transitions are announced once.
    secondWorker = await startApp('presence', { AMQP_URL: vhost.amqpUrl, ...presenceEnv }, { name: 'presence-2' });
    [alice, bob, carol] = (await Promise.all(
      ['alice', 'bob', 'carol'].map((tag) => registerUser(system.auth.url, tag)),
    )) as [TestUser, TestUser, TestUser];
    watcher = await ChatClient.connect(edgeA(), carol.accessToken);
    conversationId = (
      await watcher.request('conversation.create_group', { title: 'friends', members: [alice.id, bob.id] })
    ).conversation.id;
  });

  after(async () => {
    watcher?.close();
    await secondWorker?.stop();
    await system?.stop();
    await vhost?.remove();
  });

  function edgeA() {
    return system.edges[0]?.url ?? '';
  }
  function edgeB() {
    return system.edges[1]?.url ?? '';
  }
  const changesOf = (userId: string) =>
    watcher.frames.filter((f) => f.type === 'presence.changed' && f.userId === userId);
  const query = async (userId: string) => (await watcher.request('presence.query', { userIds: [userId] })).presence[0];

  it('is online from the first device, stays online while one remains, and goes offline with lastSeen after the last', async () => {
    const phone = await ChatClient.connect(edgeB(), bob.accessToken);
    const online = await watcher.waitFor(
      (f) => f.type === 'presence.changed' && f.userId === bob.id && f.status === 'online',
    );
    expect(online).to.deep.equal({
      type: 'presence.changed',
      userId: bob.id,
      status: 'online',
      version: online.version,
    });
    expect(online.version).to.be.a('number');
    expect(await query(bob.id)).to.deep.equal({ userId: bob.id, status: 'online' });

    const laptop = await ChatClient.connect(edgeA(), bob.accessToken);
    phone.close();
    await phone.closed;
    await sleep(600);
    expect(await query(bob.id)).to.deep.equal({ userId: bob.id, status: 'online' });
    expect(changesOf(bob.id), JSON.stringify(changesOf(bob.id))).to.have.length(1);

    const before = Date.now();
    laptop.close();
    const offline = await watcher.waitFor(
      (f) => f.type === 'presence.changed' && f.userId === bob.id && f.status === 'offline',
    );
    expect(Date.parse(offline.lastSeen)).to.be.within(before - 1_000, Date.now());
    const queried = await query(bob.id);
    expect(queried).to.include({ userId: bob.id, status: 'offline' });
    expect(queried.lastSeen).to.equal(offline.lastSeen);
    // Exactly one event per transition, with two workers running.
    await sleep(600);
    expect(changesOf(bob.id).map((f) => f.status)).to.deep.equal(['online', 'offline']);
    expect(offline.version).to.be.greaterThan(online.version);
  });

  it('lists in session.ready the contacts online now, and only contacts', async () => {
    const stranger = await registerUser(system.auth.url, 'stranger');
    const strangerSocket = await ChatClient.connect(edgeA(), stranger.accessToken);
    const phone = await ChatClient.connect(edgeB(), bob.accessToken);
    await eventually('bob online', async () => (await query(bob.id)).status === 'online');
    const withBob = await ChatClient.connect(edgeB(), carol.accessToken);
    expect(withBob.ready?.online).to.deep.equal([bob.id]);
    withBob.close();

    phone.close();
    await eventually('bob offline', async () => (await query(bob.id)).status === 'offline');
    const withoutBob = await ChatClient.connect(edgeA(), carol.accessToken);
    expect(withoutBob.ready?.online).to.deep.equal([]);
    withoutBob.close();
    strangerSocket.close();
  });

  it('takes the users of a SIGKILLed edge node offline within the heartbeat expiry', async () => {
    const doomed = await startApp(
      'ws-edge',
      {
        AMQP_URL: vhost.amqpUrl,
        AUTH_JWKS_URL: `${system.auth.url}/.well-known/jwks.json`,
        NODE_ID: `doomed-${process.pid}`,
        ...edgeEnv,
      },
      { name: 'doomed-edge' },
    );
    await ChatClient.connect(doomed.url, alice.accessToken);
    await watcher.waitFor((f) => f.type === 'presence.changed' && f.userId === alice.id && f.status === 'online');
    const killedAt = Date.now();
    await doomed.kill();
    const offline = await watcher.waitFor(
      (f) => f.type === 'presence.changed' && f.userId === alice.id && f.status === 'offline',
      10_000,
    );
    const tookMs = Date.now() - killedAt;
    expect(tookMs).to.be.lessThan(NODE_TTL_MS + 1_500);
    expect(Date.parse(offline.lastSeen)).to.be.at.most(killedAt);
    expect(changesOf(alice.id).map((f) => f.status)).to.deep.equal(['online', 'offline']);
    // Back online on reconnecting to a live node.
    const again = await ChatClient.connect(edgeB(), alice.accessToken);
    await watcher.waitFor(
      (f) =>
        f.type === 'presence.changed' &&
        f.userId === alice.id &&
        f.status === 'online' &&
        changesOf(alice.id).length === 3,
    );
    again.close();
  });

  it('answers presence.query for many users and refuses more than 100', async () => {
    const answer = await watcher.request('presence.query', {
      userIds: [carol.id, bob.id, '55555555-5555-4555-8555-555555555555'],
    });
    expect(answer.presence.map((p: { userId: string; status: string }) => [p.userId, p.status])).to.deep.equal([
      [carol.id, 'online'],
      [bob.id, 'offline'],
      ['55555555-5555-4555-8555-555555555555', 'unknown'],
    ]);
    const tooMany = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const error = (await watcher.request('presence.query', { userIds: tooMany }).catch((e) => e)) as FrameError;
    expect(error.code).to.equal('bad_request');
  });

  it('does not tell people who share no conversation', async () => {
    const stranger = await registerUser(system.auth.url, 'stranger');
    const strangerClient = await ChatClient.connect(edgeB(), stranger.accessToken);
    // Asked directly, presence of a user they share nothing with is unknown, with no lastSeen (bug 7).
    const asked = await strangerClient.request('presence.query', { userIds: [bob.id] });
    expect(asked.presence).to.deep.equal([{ userId: bob.id, status: 'unknown' }]);
    const changesBefore = changesOf(bob.id).length;
    const bobAgain = await ChatClient.connect(edgeA(), bob.accessToken);
    await watcher.waitFor(
      (f) => f.type === 'presence.changed' && f.userId === bob.id && changesOf(bob.id).length === changesBefore + 1,
    );
    bobAgain.close();
    await sleep(500);
    expect(strangerClient.frames.filter((f) => f.type === 'presence.changed')).to.deep.equal([]);
    strangerClient.close();
  });

  it('relays typing to the other members on every node, never to the typist, never stored', async () => {
    const aliceClient = await ChatClient.connect(edgeA(), alice.accessToken);
    const bobClient = await ChatClient.connect(edgeB(), bob.accessToken);
    await aliceClient.request('typing', { conversationId });
    const seenByBob = await bobClient.waitFor((f) => f.type === 'typing');
    expect(seenByBob).to.deep.equal({ type: 'typing', conversationId, userId: alice.id });
    await watcher.waitFor((f) => f.type === 'typing' && f.userId === alice.id);
    await sleep(300);
    expect(aliceClient.frames.filter((f) => f.type === 'typing')).to.deep.equal([]);
    const history = await bobClient.request('history.get', { conversationId });
    expect(history.messages).to.deep.equal([]);

    const stranger = await registerUser(system.auth.url, 'outsider');
    const strangerClient = await ChatClient.connect(edgeB(), stranger.accessToken);
    const error = (await strangerClient.request('typing', { conversationId }).catch((e) => e)) as FrameError;
    expect(error.code).to.equal('forbidden');
    for (const client of [aliceClient, bobClient, strangerClient]) client.close();
  });

  it("keeps each user's presence in order through a worker handover under churn (bug 3)", async function () {
    this.timeout(120_000);
    const churners = await Promise.all(Array.from({ length: 6 }, (_, i) => registerUser(system.auth.url, `churn${i}`)));
    await watcher.request('conversation.create_group', { title: 'churn', members: churners.map((u) => u.id) });
    const workers = [system.presence, secondWorker].filter((w): w is AppProcess => w !== undefined);
    // The management API refreshes consumer details every few seconds.
    const active = await eventually(
      'the active presence worker known',
      async () => {
        const activeName = await activeConsumerOf(vhost.name, 'presence.events');
        return workers.find((w) => activeName === `presence :${w.port}`);
      },
      30_000,
      500,
    );

    // Each user connects and disconnects on alternating nodes, 8 times, all at once; the active
    // worker is SIGKILLed half way, so the standby takes over mid-stream.
    let cycles = 0;
    const churn = churners.map(async (user, u) => {
      for (let round = 0; round < 8; round += 1) {
        const client = await ChatClient.connect((u + round) % 2 === 0 ? edgeA() : edgeB(), user.accessToken);
        await sleep(30 + ((u * 37 + round * 53) % 120));
        client.close();
        await client.closed;
        // Every other gap outlasts the offline grace (1 s), so the user really goes offline.
        await sleep(round % 2 === 0 ? 1_300 + ((u * 17) % 200) : 20 + ((u * 17 + round * 29) % 80));
        cycles += 1;
      }
    });
    await eventually('half the churn done', async () => cycles >= (churners.length * 8) / 2, 60_000, 20);
    await active.kill();
    await Promise.all(churn);

    // Everyone is gone: each ends offline, and what the watcher was told never went backwards.
    // (A worker killed while draining holds the outbox lock until it expires, 30 s.)
    for (const user of churners) {
      await watcher.waitFor(
        (f) =>
          f.type === 'presence.changed' &&
          f.userId === user.id &&
          changesOf(user.id).at(-1)?.status === 'offline' &&
          f === changesOf(user.id).at(-1),
        60_000,
      );
    }
    await sleep(1_500);
    for (const user of churners) {
      const changes = changesOf(user.id);
      const versions = changes.map((f) => f.version as number);
      expect(versions, `versions of ${user.login}`).to.deep.equal([...versions].sort((x, y) => x - y));
      expect(new Set(versions).size).to.equal(versions.length);
      // Transitions alternate: online, offline, online, …, ending offline.
      expect(changes.map((f) => f.status)).to.deep.equal(changes.map((_, i) => (i % 2 === 0 ? 'online' : 'offline')));
      expect(changes.at(-1)?.status).to.equal('offline');
      // The long gaps made real transitions: at least two offline spells before the last.
      expect(changes.length, `changes of ${user.login}`).to.be.at.least(6);
      expect((await query(user.id))?.status).to.equal('offline');
    }
  });
});
