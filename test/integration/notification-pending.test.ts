import { expect } from 'chai';
import { Redis } from 'ioredis';
import { PendingMessages } from '../../apps/notifier/src/pending-messages.js';
import { REDIS_PREFIX, REDIS_URL } from '../support/test-environment.js';

const CONVERSATION = '0190b000-0000-7000-8000-000000000001';
const USER = '0190b000-0000-7000-8000-0000000000b0';
const id = (n: number) => `0190b000-0000-7000-8000-0000000001${String(n).padStart(2, '0')}`;

/**
 * A window's pending messages in real Redis: kept by seq (the job reads them as one range of the
 * log), claimed once per job and found again by a retry of it, and the plain set of ids that
 * versions before `notifications.due` carried seqs kept is claimed with them.
 */
describe('notifier: pending messages', () => {
  const prefix = `${REDIS_PREFIX}-pending`;
  let redis: Redis;
  let pending: PendingMessages;

  before(() => {
    redis = new Redis(REDIS_URL);
    pending = new PendingMessages(redis, prefix);
  });

  after(() => redis.disconnect());

  it('claims a window in seq order, once per job, and a retry of the job finds the same claim', async () => {
    await pending.add([
      { userId: USER, conversationId: CONVERSATION, messages: [{ id: id(3), seq: 3 }] },
      {
        userId: USER,
        conversationId: CONVERSATION,
        messages: [
          { id: id(1), seq: 1 },
          { id: id(2), seq: 2 },
        ],
      },
    ]);
    const expected = [1, 2, 3].map((n) => ({ id: id(n), seq: n }));
    expect(await pending.claim(USER, CONVERSATION, 'job-1')).to.deep.equal(expected);
    // A message after the claim waits for the next window's job.
    await pending.add([{ userId: USER, conversationId: CONVERSATION, messages: [{ id: id(4), seq: 4 }] }]);
    expect(await pending.claim(USER, CONVERSATION, 'job-1'), 'a retry of job 1').to.deep.equal(expected);
    await pending.release(USER, CONVERSATION, 'job-1');
    expect(await pending.claim(USER, CONVERSATION, 'job-2')).to.deep.equal([{ id: id(4), seq: 4 }]);
    await pending.release(USER, CONVERSATION, 'job-2');
    expect(await pending.claim(USER, CONVERSATION, 'job-3')).to.deep.equal([]);
  });

  it("claims an earlier version's set of ids too, without seqs", async () => {
    await redis.sadd(`${prefix}:notify:{${USER}:${CONVERSATION}}:pending`, id(7));
    await pending.add([{ userId: USER, conversationId: CONVERSATION, messages: [{ id: id(8), seq: 8 }] }]);
    expect(await pending.claim(USER, CONVERSATION, 'job-4')).to.deep.equal([{ id: id(8), seq: 8 }, { id: id(7) }]);
    await pending.release(USER, CONVERSATION, 'job-4');
    expect(await redis.keys(`${prefix}:notify:*`)).to.deep.equal([]);
  });
});
