import type { ConversationRepository } from '@chat/storage';
import { expect } from 'chai';
import { MembershipCache } from '../../apps/ws-edge/src/membership-cache.js';

/** A repository whose member lists the test hands out, one load at a time, in the order it chooses. */
function controlledRepository() {
  const pending: Array<(members: string[]) => void> = [];
  let running = 0;
  let mostAtOnce = 0;
  const repository = {
    findById: async (id: string) => ({ _id: id, kind: 'group', createdAt: new Date(0) }),
    membersOf: (ids: string[]) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      return new Promise<Map<string, string[]>>((resolve) =>
        pending.push((members) => {
          running -= 1;
          resolve(new Map([[ids[0] ?? '', members]]));
        }),
      );
    },
  } as unknown as ConversationRepository;
  return { repository, pending, mostAtOnce: () => mostAtOnce };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Issue 9 bug 5: concurrent fresh() loads must not run side by side nor resolve out of order. */
describe('membership cache', () => {
  it('runs loads of one conversation one at a time, answering callers in the order they asked', async () => {
    const { repository, pending, mostAtOnce } = controlledRepository();
    const cache = new MembershipCache(repository);
    const answered: string[] = [];
    const first = cache.fresh('c').then((c) => answered.push(`first:${[...(c?.members ?? [])]}`));
    const second = cache.fresh('c').then((c) => answered.push(`second:${[...(c?.members ?? [])]}`));
    await tick();
    expect(pending, 'loads in flight').to.have.length(1);
    pending.shift()?.(['alice']);
    await tick();
    await tick();
    pending.shift()?.(['alice', 'bob']);
    await Promise.all([first, second]);
    expect(answered).to.deep.equal(['first:alice', 'second:alice,bob']);
    expect(mostAtOnce()).to.equal(1);
    // The newest result is the one kept.
    expect([...((await cache.get('c'))?.members ?? [])]).to.deep.equal(['alice', 'bob']);
  });

  it('shares one load among readers that ask before any invalidation', async () => {
    const { repository, pending } = controlledRepository();
    const cache = new MembershipCache(repository);
    const reads = [cache.get('c'), cache.get('c'), cache.get('c')];
    await tick();
    expect(pending).to.have.length(1);
    pending.shift()?.(['alice']);
    const results = await Promise.all(reads);
    expect(results.map((c) => [...(c?.members ?? [])])).to.deep.equal([['alice'], ['alice'], ['alice']]);
  });

  it('loads an entry again behind its caller before the expiry, and makes the caller wait after it', async () => {
    let now = 0;
    const { repository, pending } = controlledRepository();
    const cache = new MembershipCache(repository, 1_000, () => now);
    const first = cache.get('c');
    await tick();
    pending.shift()?.(['alice']);
    await first;
    // Within the last quarter of its life (expiry drawn within ±10%): answered at once, one load behind.
    now = 870;
    expect([...((await cache.get('c'))?.members ?? [])]).to.deep.equal(['alice']);
    await cache.get('c');
    await tick();
    expect(pending, 'one load, however many readers').to.have.length(1);
    pending.shift()?.(['alice', 'bob']);
    await tick();
    await tick();
    expect([...((await cache.get('c'))?.members ?? [])]).to.deep.equal(['alice', 'bob']);
    expect(pending, 'the fresh entry answers without a load').to.have.length(0);
    // Past the expiry the caller waits for the load.
    now = 870 + 1_200;
    let answered = false;
    const late = cache.get('c').then((conversation) => {
      answered = true;
      return conversation;
    });
    await tick();
    expect(answered).to.equal(false);
    pending.shift()?.(['bob']);
    expect([...((await late)?.members ?? [])]).to.deep.equal(['bob']);
  });
});
