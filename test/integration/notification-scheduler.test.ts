import { Worker } from 'bullmq';
import { expect } from 'chai';
import type { NotifyJobData } from '../../apps/notifier/src/notification-scheduler.js';
import {
  notificationQueueForSuite,
  notificationScheduling,
  REWRITES_EPOCH,
} from '../support/notification-scheduling.js';
import { REDIS_PREFIX } from '../support/test-environment.js';
import { eventually } from '../support/wait.js';

const CONVERSATION = '0190b000-0000-7000-8000-000000000002';
const RECIPIENT = '0190b000-0000-7000-8000-0000000000c0';
const id = (n: number) => `0190b000-0000-7000-8000-0000000002${String(n).padStart(2, '0')}`;

/**
 * Events for a window whose job is still to come: the notifier that created the job adds no
 * other (in a backlog, most written batches touch most windows), another notifier's add is
 * deduplicated by BullMQ, and every message waits in the one pending set. A job that starts
 * before its streak allows waits for the rest of the gap. Real Redis and BullMQ.
 */
describe('notifier: one job per window, added once by the notifier that created it, run when its streak allows', () => {
  const prefix = `${REDIS_PREFIX}-scheduler`;
  const suite = notificationQueueForSuite(prefix);

  it('adds a job for the first message of a window only, and every message joins it', async () => {
    const { pending, scheduler } = notificationScheduling(suite.redis, suite.queue, prefix);
    const [first, second] = [scheduler(), scheduler()];
    const due = (n: number) => ({
      type: 'notifications.due' as const,
      messages: [{ conversationId: CONVERSATION, messageId: id(n), seq: n, recipients: [RECIPIENT] }],
    });
    const deduplicated = async () =>
      (await suite.redis.xrange(`${prefix}:bull:notifications:events`, '-', '+')).filter(([, fields]) =>
        fields.includes('deduplicated'),
      ).length;

    for (const n of [1, 2, 3]) await first.handle(due(n));
    expect(await suite.queue.getDelayedCount()).to.equal(1);
    expect(await deduplicated(), 'no add after the first one').to.equal(0);
    await second.handle(due(4));
    expect(await suite.queue.getDelayedCount()).to.equal(1);
    expect(await deduplicated(), "the other notifier's add, deduplicated").to.equal(1);
    const [job] = await suite.queue.getDelayed();
    const claimed = await pending.claim(RECIPIENT, CONVERSATION, job?.id ?? '', Date.now());
    expect(claimed.map((message) => message.seq)).to.deep.equal([1, 2, 3, 4]);
    await pending.release(RECIPIENT, CONVERSATION, job?.id ?? '', true);
  });

  it('holds a job that starts before its streak allows (its delay reckoned from a streak that grew meanwhile) until the gap is over', async () => {
    const { pending, processor, metrics } = notificationScheduling(suite.redis, suite.queue, prefix);
    const pacing = { collapseMs: 1_000, collapseMaxMs: 8_000 };
    const conversationId = '0190b000-0000-7000-8000-000000000003';
    const message = (n: number) => ({ id: id(n), seq: n, preview: `m${n}` });
    // The window before was claimed just now: one notification in the streak, the next 2 s after it.
    await pending.add([{ userId: RECIPIENT, conversationId, messages: [message(10)] }]);
    const claimedAt = Date.now();
    await pending.claim(RECIPIENT, conversationId, 'the-window-before', claimedAt);
    await pending.release(RECIPIENT, conversationId, 'the-window-before');
    // The next window's message, and its job as a scheduler that read the streak before that
    // claim added it: due now (the race made it due one short window after the message).
    await pending.add([{ userId: RECIPIENT, conversationId, rewritesEpoch: REWRITES_EPOCH, messages: [message(11)] }]);
    await suite.queue.add('notify', { userId: RECIPIENT, conversationId });

    const sent: Array<{ at: number; messageIds: string[] }> = [];
    const worker = new Worker<NotifyJobData>(
      'notifications',
      processor((notification) => sent.push({ at: Date.now(), messageIds: notification.messageIds }), pacing),
      { connection: suite.redis.duplicate({ maxRetriesPerRequest: null }), prefix: `${prefix}:bull` },
    );
    try {
      await eventually('the notification', () => sent.length > 0 || null, 10_000);
      expect(sent).to.have.length(1);
      expect(sent[0]?.messageIds).to.deep.equal([id(11)]);
      expect(sent[0]?.at, 'not before the gap after the last notification').to.be.at.least(claimedAt + 2_000);
      expect((await metrics.heldForPacing.get()).values[0]?.value).to.equal(1);
    } finally {
      await worker.close();
    }
  });
});
