import { expect } from 'chai';
import { ContactIndex } from '../../apps/ws-edge/src/contact-index.js';
import type { Session } from '../../apps/ws-edge/src/session.js';

const sessionOf = (userId: string, id: string) => ({ userId, id }) as unknown as Session;

/** Who hears about whose presence on one node, kept current by membership changes (issue 9 bug 6). */
describe('contact index', () => {
  it('keeps a membership change that arrives between a session opening and its snapshot being tracked', () => {
    const index = new ContactIndex();
    const alice = sessionOf('alice', 'a1');
    index.opened(alice);
    // Bob joins, and Carol leaves, after Alice's snapshot was read but before it is tracked.
    index.updateConversation('group', ['alice', 'bob'], []);
    index.track(alice, [{ id: 'group', members: ['alice', 'carol'] }]);
    expect([...(index.watchersOf('bob') ?? [])]).to.deep.equal([alice]);
    expect(index.watchersOf('carol')).to.equal(undefined);
  });

  it('drops a conversation the user was removed from while the session was opening', () => {
    const index = new ContactIndex();
    const alice = sessionOf('alice', 'a1');
    index.opened(alice);
    index.updateConversation('direct', ['bob', 'dave'], []);
    index.track(alice, [{ id: 'direct', members: ['alice', 'bob'] }]);
    expect(index.watchersOf('bob')).to.equal(undefined);
  });

  it('applies changes to tracked sessions and forgets closed ones', () => {
    const index = new ContactIndex();
    const alice = sessionOf('alice', 'a1');
    index.opened(alice);
    index.track(alice, [{ id: 'group', members: ['alice', 'bob'] }]);
    index.updateConversation('group', ['alice', 'bob', 'erin'], []);
    expect([...(index.watchersOf('erin') ?? [])]).to.deep.equal([alice]);
    index.forget(alice);
    expect(index.watchersOf('bob')).to.equal(undefined);
    expect(index.watchersOf('erin')).to.equal(undefined);
  });
});
