import { expect } from 'chai';
import { ladderFrom, RATE_LADDER, refinementRate } from '../../bench/src/scenarios/ladder.js';

/**
 * The benchmark's offered rates: the ladder, and the one step it adds between the last rate the
 * system sustained and the one it failed at.
 */
describe('benchmark rate ladder', () => {
  it('starts at the first rung at or above a rate, and has 200 (a target is stated there)', () => {
    expect(ladderFrom(50)[0]).to.equal(50);
    expect(ladderFrom(500)[0]).to.equal(600);
    expect(RATE_LADDER).to.include(200);
  });

  it('adds a step halfway between a sustained rate and a failed one, to two significant figures', () => {
    expect(refinementRate(2_000, 3_000)).to.equal(2_500);
    expect(refinementRate(800, 1_000)).to.equal(900);
    expect(refinementRate(8_000, 12_000)).to.equal(10_000);
    expect(refinementRate(50, 100)).to.equal(75);
    expect(refinementRate(1_000, 1_500)).to.equal(1_300);
  });

  it('adds none when nothing was sustained or the two rates are within 20%', () => {
    expect(refinementRate(0, 50)).to.equal(undefined);
    expect(refinementRate(1_000, 1_200)).to.equal(undefined);
    expect(refinementRate(1_000, 1_150)).to.equal(undefined);
  });
});
