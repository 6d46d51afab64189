import { LiveAccounts, type UserRepository } from '@chat/storage';
import { expect } from 'chai';

/** A user repository whose reads the test answers, one by one, when it chooses. */
function controlledUsers() {
  const reads: Array<(user: { _id: string; sessionEpoch?: number } | null) => void> = [];
  const users = {
    findById: () => new Promise((resolve) => reads.push(resolve)),
  } as unknown as UserRepository;
  return { users, reads };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const TTL_MS = 1_000;

/**
 * An edge's belief in accounts: a user never seen waits for a read; in the last quarter of a
 * standing's life a frame reads it again behind itself (one read however many frames), so an
 * active user's frames never wait; past the expiry the frame waits, so the expiry still bounds a
 * notice that never came.
 */
describe('live accounts', () => {
  it('reads an active user again before the expiry, behind the frame, and waits once it passed', async () => {
    let now = 0;
    const { users, reads } = controlledUsers();
    const accounts = new LiveAccounts(users, TTL_MS, () => now);
    const first = accounts.verdict('u1', 0);
    await tick();
    reads.shift()?.({ _id: 'u1' });
    expect(await first).to.equal('live');
    now = 0.5 * TTL_MS;
    expect(await accounts.verdict('u1', 0), 'believed').to.equal('live');
    expect(reads).to.have.length(0);

    // Within the last quarter (expiry drawn within ±10%): answered at once, one read behind.
    now = 0.87 * TTL_MS;
    expect(await accounts.verdict('u1', 0)).to.equal('live');
    expect(await accounts.verdict('u1', 0)).to.equal('live');
    expect(reads, 'one read however many frames').to.have.length(1);
    reads.shift()?.(null);
    await tick();
    expect(await accounts.verdict('u1', 0), 'what the read found counts').to.equal('deleted');
  });

  it('makes the first frame after the expiry wait for the database', async () => {
    let now = 0;
    const { users, reads } = controlledUsers();
    const accounts = new LiveAccounts(users, TTL_MS, () => now);
    const first = accounts.verdict('u2', 0);
    await tick();
    reads.shift()?.({ _id: 'u2' });
    await first;
    now = 1.2 * TTL_MS;
    let answered = false;
    const after = accounts.verdict('u2', 0).then((verdict) => {
      answered = true;
      return verdict;
    });
    await tick();
    expect(answered, 'waits for the read').to.equal(false);
    reads.shift()?.({ _id: 'u2', sessionEpoch: 5 });
    expect(await after).to.equal('ended');
  });

  it('does not keep a read that began before the notices may have been missed', async () => {
    const { users, reads } = controlledUsers();
    const accounts = new LiveAccounts(users, 60_000);
    const verdict = accounts.verdict('u3', 0);
    await tick();
    accounts.forgetLive();
    reads.shift()?.({ _id: 'u3' });
    expect(await verdict).to.equal('live');
    // The next frame reads again rather than trusting a read from before the gap.
    const again = accounts.verdict('u3', 0);
    await tick();
    expect(reads).to.have.length(1);
    reads.shift()?.({ _id: 'u3', sessionEpoch: 5 });
    expect(await again).to.equal('ended');
  });
});
