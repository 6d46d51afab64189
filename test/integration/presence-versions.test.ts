import { PresenceStore, type PresenceTransition } from '@chat/presence-store';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { startPrivateRedisServer } from '../support/private-services.js';
import { REDIS_PREFIX, REDIS_URL } from '../support/test-environment.js';

const USER = '0190c000-0000-7000-8000-0000000000a1';

/** The presence scripts on the real Redis: every transition of a user carries a version that only grows. */
describe('presence transition versions (issue 9 bug 3)', () => {
  let redis: Redis;
  let store: PresenceStore;

  before(() => {
    redis = new Redis(REDIS_URL);
    store = new PresenceStore(redis, `${REDIS_PREFIX}-versions`);
  });

  after(() => redis.disconnect());

  const drain = async (): Promise<PresenceTransition[]> => {
    const all: PresenceTransition[] = [];
    while ((await store.drainOutbox(async (transitions) => void all.push(...transitions))) > 0);
    return all;
  };

  it('numbers online and offline transitions in increasing order, also after the version key is lost', async () => {
    const session = { userId: USER, sessionId: 's1' };
    const t0 = Date.now();
    await store.connect('node-a', session, t0);
    await store.disconnect('node-a', session, t0 + 1);
    await store.settle(t0 + 10);
    await store.connect('node-a', { userId: USER, sessionId: 's2' }, t0 + 20);
    const first = await drain();
    expect(first.map((t) => t.status)).to.deep.equal(['online', 'offline', 'online']);
    const versions = first.map((t) => t.version);
    for (let i = 1; i < versions.length; i += 1) expect(versions[i]).to.be.greaterThan(versions[i - 1] ?? 0);

    // Redis lost the version (a restart without data): the next version still beats the old ones.
    const keys = await redis.keys(`${REDIS_PREFIX}-versions*version*`);
    expect(keys).to.have.length.greaterThan(0);
    await redis.del(...keys);
    await store.disconnect('node-a', { userId: USER, sessionId: 's2' }, Date.now());
    await store.settle(Date.now() + 10);
    const [offline] = await drain();
    expect(offline?.status).to.equal('offline');
    expect(offline?.version).to.be.greaterThan(versions.at(-1) ?? 0);
  });
});

describe('presence scripts run by SHA (issue 9 bug 8)', function () {
  this.timeout(30_000);
  let server: Awaited<ReturnType<typeof startPrivateRedisServer>>;
  let redis: Redis;

  before(async () => {
    // A Redis of its own: its command counters see only this test.
    server = await startPrivateRedisServer();
    redis = new Redis(server.url);
  });

  after(async () => {
    redis?.disconnect();
    await server?.destroy();
  });

  const calls = async (command: string): Promise<number> => {
    const stats = await redis.info('commandstats');
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  };

  it('sends each script text once (the first EVALSHA finds no script), then EVALSHA only', async () => {
    const store = new PresenceStore(redis, 'sha-test');
    for (let i = 0; i < 20; i += 1) {
      await store.connect('node-a', { userId: USER, sessionId: `s${i}` }, Date.now());
      await store.heartbeat('node-a', Date.now(), 1);
    }
    await store.drainOutbox(async () => undefined);
    // 42 runs of four scripts (connect, heartbeat, claim and release of the outbox): the first run
    // of each sends its text (EVAL after a NOSCRIPT), the other 38 only its SHA.
    expect(await calls('eval')).to.equal(4);
    expect(await calls('evalsha')).to.equal(38);
  });
  it('declares in KEYS every key each script touches (what Redis Cluster routes by)', async () => {
    const store = new PresenceStore(redis, 'keys-test');
    const monitor = await redis.monitor();
    const undeclared: string[] = [];
    let declared = new Set<string>();
    let scriptCommands = 0;
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const [command = '', ...rest] = args;
      const name = command.toLowerCase();
      if (name === 'evalsha' || name === 'eval') {
        const keyCount = Number(rest[1]);
        declared = new Set(rest.slice(2, 2 + keyCount));
        return;
      }
      if (source !== 'lua' || name === 'time') return;
      scriptCommands += 1;
      const keys = name === 'del' ? rest : rest.slice(0, 1);
      for (const key of keys) if (!declared.has(key)) undeclared.push(`${name} ${key}`);
    });
    const alice = { userId: USER, sessionId: 'a1' };
    const bob = { userId: '0190c000-0000-7000-8000-0000000000b2', sessionId: 'b1' };
    const carol = { userId: '0190c000-0000-7000-8000-0000000000c3', sessionId: 'c1' };
    const t0 = Date.now();
    await store.connect('node-a', alice, t0);
    await store.connect('node-a', bob, t0);
    await store.heartbeat('node-a', t0, 2);
    // The node's sessions become bob and carol: alice leaves, carol joins.
    await store.snapshot('node-b', t0, [carol]);
    await store.snapshot('node-a', t0 + 1, [bob, carol]);
    // Connects racing a snapshot of their node: the snapshot may read a set that grows before its
    // script runs, then finds undeclared users, changes nothing and reads again.
    const racing = Array.from({ length: 40 }, (_, i) => ({ userId: `racer-${i}`, sessionId: 'r' }));
    await Promise.all([
      ...racing.map((session) => store.connect('node-a', session, t0 + 1)),
      store.snapshot('node-a', t0 + 1, [bob, carol]),
    ]);
    await store.snapshot('node-a', t0 + 2, [bob, carol]);
    // node-b falls silent and is swept; then everyone without a session settles offline.
    await store.sweep(t0 + 5);
    await store.settle(t0 + 10);
    await store.disconnect('node-a', bob, t0 + 11);
    await store.settle(t0 + 20);
    await store.drainOutbox(async () => undefined);
    const offline = await store.statusOf([USER, bob.userId, carol.userId]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    monitor.disconnect();
    // The scripts did run, and did what they are for: everyone ended offline.
    expect(offline.map((p) => p.status)).to.deep.equal(['offline', 'offline', 'offline']);
    expect(scriptCommands).to.be.greaterThan(30);
    expect(undeclared).to.deep.equal([]);
  });
});
