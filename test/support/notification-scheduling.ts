import { createLogger } from '@chat/logger';
import { PresenceStore } from '@chat/presence-store';
import type { ConversationRepository, MessageRepository, NotificationRepository } from '@chat/storage';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { Notification } from '../../apps/notifier/src/notification.js';
import type { PacingOptions } from '../../apps/notifier/src/notification-pacing.js';
import { notificationProcessor } from '../../apps/notifier/src/notification-processor.js';
import { NotificationScheduler, type NotifyJobData } from '../../apps/notifier/src/notification-scheduler.js';
import { notifierMetrics } from '../../apps/notifier/src/notifier-metrics.js';
import { PendingMessages } from '../../apps/notifier/src/pending-messages.js';
import { REDIS_URL } from './test-environment.js';

/**
 * A suite's own BullMQ notification queue on real Redis under `prefix`: opened before its tests,
 * emptied and closed after them. Read `redis` and `queue` inside the tests.
 */
export function notificationQueueForSuite(prefix: string): { redis: Redis; queue: Queue<NotifyJobData> } {
  const suite = {} as { redis: Redis; queue: Queue<NotifyJobData> };
  before(() => {
    suite.redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    suite.queue = new Queue<NotifyJobData>('notifications', { connection: suite.redis, prefix: `${prefix}:bull` });
  });
  after(async () => {
    await suite.queue.obliterate({ force: true });
    await suite.queue.close();
    suite.redis.disconnect();
  });
  return suite;
}

/** The epoch of log rewrites these parts run in: no message of theirs was edited or deleted. */
export const REWRITES_EPOCH = 1;

/**
 * A notifier's scheduling parts on real Redis and BullMQ, with a one-minute window: a window's
 * job stays delayed until the test runs it by hand. `scheduler()` is one more notifier instance
 * over the same Redis (each remembers only the jobs it added itself). `processor()` runs the
 * jobs with the database answered in memory: the recipient is a member who has read nothing,
 * and no message was edited or deleted in the rewrites' epoch, so every window is told of from
 * its pending set (events must carry `REWRITES_EPOCH` and previews).
 */
export function notificationScheduling(redis: Redis, queue: Queue<NotifyJobData>, prefix: string) {
  const logger = createLogger({ app: 'test', level: 'silent' });
  const metrics = notifierMetrics(new Registry(), queue);
  const pending = new PendingMessages(redis, prefix, 120_000);
  const presence = new PresenceStore(redis, prefix);
  const scheduler = () =>
    new NotificationScheduler(
      queue,
      pending,
      presence,
      { collapseMs: 60_000, collapseMaxMs: 60_000, attempts: 1, backoffMs: 1_000 },
      logger,
      metrics,
    );
  const processor = (send: (notification: Notification) => void, pacing: PacingOptions) =>
    notificationProcessor({
      pending,
      presence,
      conversations: { findMembership: async () => ({ readSeq: 0 }) } as unknown as ConversationRepository,
      messages: {} as MessageRepository,
      rewrites: { of: async () => ({ epoch: REWRITES_EPOCH, seq: 0 }) },
      notifications: { wasSent: async () => false, record: async () => undefined } as unknown as NotificationRepository,
      transport: { name: 'log', send: async (notification) => send(notification) },
      pacing,
      logger,
      metrics,
    });
  return { logger, metrics, pending, presence, scheduler, processor };
}
