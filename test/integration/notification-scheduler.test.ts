import { Queue } from 'bullmq';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { NotifyJobData } from '../../apps/notifier/src/notification-scheduler.js';
import { notificationScheduling } from '../support/notification-scheduling.js';
import { REDIS_PREFIX, REDIS_URL } from '../support/test-environment.js';

const CONVERSATION = '0190b000-0000-7000-8000-000000000002';
const RECIPIENT = '0190b000-0000-7000-8000-0000000000c0';
const id = (n: number) => `0190b000-0000-7000-8000-0000000002${String(n).padStart(2, '0')}`;

/**
 * Events for a window whose job is still to come: the notifier that created the job adds no
 * other (in a backlog, most written batches touch most windows), another notifier's add is
 * deduplicated by BullMQ, and every message waits in the one pending set. Real Redis and BullMQ.
 */
describe('notifier: one job per window, added once by the notifier that created it', () => {
  const prefix = `${REDIS_PREFIX}-scheduler`;
  let redis: Redis;
  let queue: Queue<NotifyJobData>;

  before(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue<NotifyJobData>('notifications', { connection: redis, prefix: `${prefix}:bull` });
  });

  after(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });

  it('adds a job for the first message of a window only, and every message joins it', async () => {
    const { pending, scheduler } = notificationScheduling(redis, queue, prefix);
    const [first, second] = [scheduler(), scheduler()];
    const due = (n: number) => ({
      type: 'notifications.due' as const,
      messages: [{ conversationId: CONVERSATION, messageId: id(n), seq: n, recipients: [RECIPIENT] }],
    });
    const deduplicated = async () =>
      (await redis.xrange(`${prefix}:bull:notifications:events`, '-', '+')).filter(([, fields]) =>
        fields.includes('deduplicated'),
      ).length;

    for (const n of [1, 2, 3]) await first.handle(due(n));
    expect(await queue.getDelayedCount()).to.equal(1);
    expect(await deduplicated(), 'no add after the first one').to.equal(0);
    await second.handle(due(4));
    expect(await queue.getDelayedCount()).to.equal(1);
    expect(await deduplicated(), "the other notifier's add, deduplicated").to.equal(1);
    const [job] = await queue.getDelayed();
    const claimed = await pending.claim(RECIPIENT, CONVERSATION, job?.id ?? '', Date.now());
    expect(claimed.map((message) => message.seq)).to.deep.equal([1, 2, 3, 4]);
    await pending.release(RECIPIENT, CONVERSATION, job?.id ?? '', true);
  });
});
