import { expect } from 'chai';
import type { PendingMessage } from '../../apps/notifier/src/pending-messages.js';
import { unreadFromPending } from '../../apps/notifier/src/unread-messages.js';

const EPOCH = 77;
const message = (seq: number, epoch = EPOCH): PendingMessage => ({
  id: `m${seq}`,
  seq,
  preview: { epoch, text: `text ${seq}` },
});

/** When a window's claimed pending set is the truth, and when the notifier must read the log instead. */
describe('notifier: unread messages from the pending set', () => {
  it('gives the unread messages in seq order and the latest preview when nothing was rewritten since the first', () => {
    const claimed = [message(12), message(10), message(11)];
    expect(unreadFromPending(claimed, 10, { epoch: EPOCH, seq: 9 })).to.deep.equal({
      ids: ['m11', 'm12'],
      latestPreview: 'text 12',
    });
  });

  it('tells of nothing unread without the log, whatever the rewrites', () => {
    expect(unreadFromPending([message(3), message(4)], 4, undefined)).to.deep.equal({ ids: [] });
  });

  it('reads the log when an edit or delete came after the first unread message', () => {
    const claimed = [message(10), message(12)];
    expect(unreadFromPending(claimed, 0, { epoch: EPOCH, seq: 11 })).to.equal(undefined);
    expect(unreadFromPending(claimed, 0, { epoch: EPOCH, seq: 10 }), 'at the first seq').to.equal(undefined);
    // Rewrites before the first unread one (the read messages included) change nothing of these.
    expect(unreadFromPending(claimed, 10, { epoch: EPOCH, seq: 11 })).to.deep.equal({
      ids: ['m12'],
      latestPreview: 'text 12',
    });
  });

  it('reads the log when the rewrites are unknown, or of another epoch than a preview', () => {
    expect(unreadFromPending([message(5)], 0, undefined)).to.equal(undefined);
    expect(unreadFromPending([message(5), message(6, EPOCH + 1)], 0, { epoch: EPOCH, seq: 0 })).to.equal(undefined);
  });

  it('reads the log for a message without a preview or without a seq (announced by an earlier version)', () => {
    const rewrites = { epoch: EPOCH, seq: 0 };
    expect(unreadFromPending([message(5), { id: 'm6', seq: 6 }], 0, rewrites)).to.equal(undefined);
    expect(unreadFromPending([message(5), { id: 'legacy' }], 0, rewrites)).to.equal(undefined);
  });
});
