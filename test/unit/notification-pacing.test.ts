import { expect } from 'chai';
import { gapAfter, streakHolds, windowDelay } from '../../apps/notifier/src/notification-pacing.js';

const PACING = { collapseMs: 2_000, collapseMaxMs: 60_000 };

/** How often an unread conversation notifies: the gap doubles per notification, up to the longest window. */
describe('notifier: pacing of an unread conversation', () => {
  it('doubles the gap with each notification of the streak, up to the longest window', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((sent) => gapAfter(sent, PACING))).to.deep.equal([
      2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('opens the first window short, and the next ones when their gap since the last notification ends', () => {
    expect(windowDelay(undefined, undefined, 10_000, PACING)).to.equal(2_000);
    // Notified at 10 s with a streak of 2: the next one is due at 18 s.
    const streak = { sent: 2, lastAtMs: 10_000 };
    expect(windowDelay(streak, undefined, 10_500, PACING)).to.equal(7_500);
    expect(windowDelay(streak, undefined, 17_000, PACING), 'never shorter than the first window').to.equal(2_000);
    expect(windowDelay({ sent: 9, lastAtMs: 10_000 }, undefined, 10_000, PACING)).to.equal(60_000);
    // A clock behind the one that claimed: never longer than the longest window.
    expect(windowDelay({ sent: 9, lastAtMs: 10_000 }, undefined, 5_000, PACING)).to.equal(60_000);
  });

  it('starts over for a recipient seen online since the last notification', () => {
    const streak = { sent: 3, lastAtMs: 10_000 };
    expect(streakHolds(streak, 9_000)).to.equal(true);
    expect(streakHolds(streak, 10_000)).to.equal(false);
    expect(streakHolds(streak, 12_000)).to.equal(false);
    expect(streakHolds(undefined, undefined)).to.equal(false);
    expect(windowDelay(streak, 9_000, 10_500, PACING)).to.equal(15_500);
    expect(windowDelay(streak, 12_000, 12_500, PACING)).to.equal(2_000);
  });
});
