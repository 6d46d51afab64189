import { expect } from 'chai';
import { CLOCK_MARGIN_MS, OpenWindows } from '../../apps/notifier/src/open-windows.js';

/** The windows whose job the notifier created: open until the margin before the job is due. */
describe('notifier: open windows', () => {
  it('holds a window open until the clock margin before its job is due, then forgets it', () => {
    const open = new OpenWindows();
    expect(open.isOpen('a', 0)).to.equal(false);
    open.opened('a', 10_000, 0);
    expect(open.isOpen('a', 9_999 - CLOCK_MARGIN_MS)).to.equal(true);
    expect(open.isOpen('a', 10_000 - CLOCK_MARGIN_MS)).to.equal(false);
    expect(open.size).to.equal(0);
  });

  it('sweeps expired windows as the map grows, keeping those still open', () => {
    const open = new OpenWindows();
    for (let i = 0; i < 1_023; i += 1) open.opened(`old ${i}`, 1_000, 0);
    open.opened('fresh', 60_000, 5_000);
    expect(open.size).to.equal(1);
    expect(open.isOpen('fresh', 5_000)).to.equal(true);
    expect(open.isOpen('old 1', 0), 'swept').to.equal(false);
  });
});
