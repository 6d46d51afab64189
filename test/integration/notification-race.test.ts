import { expect } from 'chai';
import {
  notificationQueueForSuite,
  notificationScheduling,
  REWRITES_EPOCH,
} from '../support/notification-scheduling.js';
import { REDIS_PREFIX } from '../support/test-environment.js';

const CONVERSATION = '0190b000-0000-7000-8000-000000000001';
const RECIPIENT = '0190b000-0000-7000-8000-0000000000b0';

/**
 * BullMQ deduplication keeps one job per (user, conversation) and collapse window. The window's
 * job claims the pending set when it runs; a message arriving after that claim, while the
 * deduplication key is still live, must get a job of its own, or it waits for the next message
 * (or forever). Real Redis and BullMQ; the job is run by hand at the moment the race needs.
 */
describe('notifier: a message that arrives while its window is being notified (issue 9 bug 2)', () => {
  const prefix = `${REDIS_PREFIX}-race`;
  const suite = notificationQueueForSuite(prefix);
  const sent: string[][] = [];

  it('schedules a new job for a message that lands after the claim', async () => {
    const { processor, scheduler: notifier } = notificationScheduling(suite.redis, suite.queue, prefix);
    // A long window: the deduplication key outlives the moment the job runs. The job is run here
    // long before it is due, so the message after its claim goes through a second notifier (one
    // of several instances): the first knows its job is not due yet and would rightly add none.
    const scheduler = notifier();
    const secondNotifier = notifier();
    // Pacing is not what this test is about: it runs its jobs by hand long before they are due.
    const process = processor((notification) => sent.push(notification.messageIds), {
      collapseMs: 0,
      collapseMaxMs: 0,
    });
    const persist = async (seq: number, through = scheduler) => {
      const id = `0190b000-0000-7000-8000-00000000010${seq}`;
      await through.handle({
        type: 'notifications.due',
        rewritesEpoch: REWRITES_EPOCH,
        messages: [{ conversationId: CONVERSATION, messageId: id, seq, recipients: [RECIPIENT], preview: `m${seq}` }],
      });
      return id;
    };

    const first = await persist(1);
    const [job] = await suite.queue.getDelayed();
    expect(job, 'the window job').to.not.equal(undefined);
    // The window's job runs (BullMQ would start it when its delay ends) and claims message 1 ...
    await process(job as NonNullable<typeof job>);
    expect(sent).to.deep.equal([[first]]);
    // ... and message 2 arrives right after the claim, inside the deduplication key's life
    // (BullMQ keeps a key with a TTL until it expires, even after its job finished).
    const second = await persist(2, secondNotifier);
    const later = (await suite.queue.getDelayed()).filter((other) => other.id !== job?.id);
    expect(later, 'a job for the message that came after the claim').to.have.length(1);
    await process(later[0] as NonNullable<(typeof later)[0]>);
    expect(sent).to.deep.equal([[first], [second]]);
  });
});
