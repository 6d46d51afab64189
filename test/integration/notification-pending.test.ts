import { expect } from 'chai';
import { Redis } from 'ioredis';
import { PendingMessages } from '../../apps/notifier/src/pending-messages.js';
import { REDIS_PREFIX, REDIS_URL } from '../support/test-environment.js';

const CONVERSATION = '0190b000-0000-7000-8000-000000000001';
const USER = '0190b000-0000-7000-8000-0000000000b0';
const id = (n: number) => `0190b000-0000-7000-8000-0000000001${String(n).padStart(2, '0')}`;

/**
 * A window's pending messages in real Redis: kept by seq (the job reads them as one range of the
 * log), claimed once per job with the previews the writer sent and found again by a retry of
 * it, and the plain set of ids that versions before `notifications.due` carried seqs kept is
 * claimed with them.
 */
describe('notifier: pending messages', () => {
  const prefix = `${REDIS_PREFIX}-pending`;
  let redis: Redis;
  let pending: PendingMessages;

  before(() => {
    redis = new Redis(REDIS_URL);
    pending = new PendingMessages(redis, prefix, 60_000);
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
    expect(await pending.claim(USER, CONVERSATION, 'job-1', Date.now())).to.deep.equal(expected);
    // A message after the claim waits for the next window's job.
    await pending.add([{ userId: USER, conversationId: CONVERSATION, messages: [{ id: id(4), seq: 4 }] }]);
    expect(await pending.claim(USER, CONVERSATION, 'job-1', Date.now()), 'a retry of job 1').to.deep.equal(expected);
    await pending.release(USER, CONVERSATION, 'job-1');
    expect(await pending.claim(USER, CONVERSATION, 'job-2', Date.now())).to.deep.equal([{ id: id(4), seq: 4 }]);
    await pending.release(USER, CONVERSATION, 'job-2');
    expect(await pending.claim(USER, CONVERSATION, 'job-3', Date.now())).to.deep.equal([]);
  });

  it("claims the writer's previews with their window, each with its epoch, and leaves later ones to the next window", async () => {
    const message = (n: number) => ({ id: id(n), seq: n, preview: `text ${n}: with a colon` });
    await pending.add([{ userId: USER, conversationId: CONVERSATION, rewritesEpoch: 41, messages: [message(20)] }]);
    // An event of a writer before previews: its message has none.
    await pending.add([{ userId: USER, conversationId: CONVERSATION, messages: [{ id: id(21), seq: 21 }] }]);
    await pending.add([{ userId: USER, conversationId: CONVERSATION, rewritesEpoch: 42, messages: [message(22)] }]);
    const expected = [
      { id: id(20), seq: 20, preview: { epoch: 41, text: 'text 20: with a colon' } },
      { id: id(21), seq: 21 },
      { id: id(22), seq: 22, preview: { epoch: 42, text: 'text 22: with a colon' } },
    ];
    expect(await pending.claim(USER, CONVERSATION, 'job-p1', Date.now())).to.deep.equal(expected);
    await pending.add([{ userId: USER, conversationId: CONVERSATION, rewritesEpoch: 42, messages: [message(23)] }]);
    expect(await pending.claim(USER, CONVERSATION, 'job-p1', Date.now()), 'a retry').to.deep.equal(expected);
    await pending.release(USER, CONVERSATION, 'job-p1');
    expect(await pending.claim(USER, CONVERSATION, 'job-p2', Date.now())).to.deep.equal([
      { id: id(23), seq: 23, preview: { epoch: 42, text: 'text 23: with a colon' } },
    ]);
    await pending.release(USER, CONVERSATION, 'job-p2', true);
    expect(await redis.keys(`${prefix}:notify:*`)).to.deep.equal([]);
  });

  it("claims an earlier version's set of ids too, without seqs", async () => {
    await redis.sadd(`${prefix}:notify:{${USER}:${CONVERSATION}}:pending`, id(7));
    await pending.add([{ userId: USER, conversationId: CONVERSATION, messages: [{ id: id(8), seq: 8 }] }]);
    expect(await pending.claim(USER, CONVERSATION, 'job-4', Date.now())).to.deep.equal([
      { id: id(8), seq: 8 },
      { id: id(7) },
    ]);
    // The streak ends with the claim: nothing of the (user, conversation) is left behind.
    await pending.release(USER, CONVERSATION, 'job-4', true);
    expect(await redis.keys(`${prefix}:notify:*`)).to.deep.equal([]);
  });

  it('counts each claimed window once in the streak, answers it to the next window, and ends it on request', async () => {
    const window = (n: number) => [{ userId: USER, conversationId: CONVERSATION, messages: [{ id: id(n), seq: n }] }];
    expect(await pending.add(window(10)), 'no streak before the first notification').to.deep.equal([undefined]);
    await pending.claim(USER, CONVERSATION, 'job-5', 1_000);
    await pending.claim(USER, CONVERSATION, 'job-5', 1_500);
    expect(await pending.add(window(11)), 'a retry does not count again').to.deep.equal([{ sent: 1, lastAtMs: 1_000 }]);
    await pending.claim(USER, CONVERSATION, 'job-6', 5_000);
    // A job that finds nothing pending (its window was claimed by another) does not count.
    await pending.claim(USER, CONVERSATION, 'job-7', 6_000);
    expect(await pending.add(window(12))).to.deep.equal([{ sent: 2, lastAtMs: 5_000 }]);
    const ttlMs = await redis.pttl(`${prefix}:notify:{${USER}:${CONVERSATION}}:streak`);
    expect(ttlMs).to.be.within(1, 60_000);
    await pending.endStreaks([{ userId: USER, conversationId: CONVERSATION }]);
    expect(await pending.add(window(13))).to.deep.equal([undefined]);
    await pending.claim(USER, CONVERSATION, 'job-8', 9_000);
    for (const job of ['job-5', 'job-6', 'job-7']) await pending.release(USER, CONVERSATION, job);
    await pending.release(USER, CONVERSATION, 'job-8', true);
    expect(await redis.keys(`${prefix}:notify:*`)).to.deep.equal([]);
  });
});
