import { expect } from 'chai';
import { MixedLoad } from '../../bench/src/load/mixed-load.js';
import { MIXED_KINDS } from '../../bench/src/load/protocol.js';

/** Which sends of a `--mixed-kinds` step are edits, reactions and deletes, and about what. */
describe('benchmark mixed load', () => {
  /** A step of `slots` sends where every new message is acked before the next slot. */
  function stepOf(slots: number) {
    const load = new MixedLoad(0.1);
    const picks: Array<{ kind: string; messageId: string }> = [];
    for (let slot = 0; slot < slots; slot += 1) {
      const pick = load.pick(slot);
      if (pick) picks.push(pick);
      else load.acked(slot % 4, `m${slot}`);
    }
    return picks;
  }

  it('mixes the four kinds in even shares from the start of a step, each message in its order of life', () => {
    const picks = stepOf(400);
    expect(picks).to.have.length(40);
    for (const kind of MIXED_KINDS)
      expect(
        picks.filter((pick) => pick.kind === kind),
        kind,
      ).to.have.length(10);
    // The first forty slots already hold a delete.
    expect(picks.slice(0, 4).map((pick) => pick.kind)).to.deep.equal([...MIXED_KINDS]);
    const lives = new Map<string, string[]>();
    for (const { kind, messageId } of picks) lives.set(messageId, [...(lives.get(messageId) ?? []), kind]);
    for (const life of lives.values()) expect(life).to.deep.equal(MIXED_KINDS.slice(0, life.length));
  });

  it('never touches a deleted message again', () => {
    const picks = stepOf(2_000);
    const deleted = new Set<string>();
    for (const { kind, messageId } of picks) {
      expect(deleted.has(messageId), messageId).to.equal(false);
      if (kind === 'message.delete') deleted.add(messageId);
    }
    expect(deleted.size).to.equal(50);
  });
});
