import { expect } from 'chai';
import { Redis } from 'ioredis';
import { LogRewrites } from '../../libs/storage/src/index.js';
import { REDIS_PREFIX, REDIS_URL } from '../support/test-environment.js';

const A = '0190b000-0000-7000-8000-00000000000a';
const B = '0190b000-0000-7000-8000-00000000000b';

/**
 * The last edit or delete of each conversation in real Redis: raised, never lowered, and under an
 * epoch that is kept while the set lives and changes once it was lost.
 */
describe('log rewrites: the last edit or delete of each conversation, by epoch', () => {
  const prefix = `${REDIS_PREFIX}-rewrites-${process.pid}`;
  let redis: Redis;
  let rewrites: LogRewrites;

  before(() => {
    redis = new Redis(REDIS_URL);
    rewrites = new LogRewrites(redis, prefix);
  });

  after(async () => {
    await redis.del(`${prefix}:log-rewrites`);
    redis.disconnect();
  });

  it('answers nothing before the set exists, then one epoch for every raise', async () => {
    expect(await rewrites.of(A)).to.equal(undefined);
    const epoch = await rewrites.raise(new Map());
    expect(epoch).to.be.a('number').and.to.be.at.least(1);
    expect(Number.isSafeInteger(epoch)).to.equal(true);
    expect(await rewrites.of(A), 'no rewrite yet').to.deep.equal({ epoch, seq: 0 });
    expect(await rewrites.raise(new Map([[A, 5]]))).to.equal(epoch);
    expect(await rewrites.of(A)).to.deep.equal({ epoch, seq: 5 });
    expect(await rewrites.of(B)).to.deep.equal({ epoch, seq: 0 });
  });

  it('never lowers a conversation it raised', async () => {
    const epoch = await rewrites.raise(new Map([[A, 9]]));
    await rewrites.raise(
      new Map([
        [A, 7],
        [B, 3],
      ]),
    );
    expect(await rewrites.of(A)).to.deep.equal({ epoch, seq: 9 });
    expect(await rewrites.of(B)).to.deep.equal({ epoch, seq: 3 });
  });

  it('starts another epoch once the set was lost, so previews announced before are not trusted', async () => {
    const before = await rewrites.raise(new Map());
    await redis.del(`${prefix}:log-rewrites`);
    expect(await rewrites.of(A), 'lost').to.equal(undefined);
    const after = await rewrites.raise(new Map([[B, 2]]));
    expect(after).to.not.equal(before);
    expect(await rewrites.of(A)).to.deep.equal({ epoch: after, seq: 0 });
    expect(await rewrites.of(B)).to.deep.equal({ epoch: after, seq: 2 });
  });
});
