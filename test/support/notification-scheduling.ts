import { createLogger } from '@chat/logger';
import { PresenceStore } from '@chat/presence-store';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { NotificationScheduler, type NotifyJobData } from '../../apps/notifier/src/notification-scheduler.js';
import { notifierMetrics } from '../../apps/notifier/src/notifier-metrics.js';
import { PendingMessages } from '../../apps/notifier/src/pending-messages.js';

/**
 * A notifier's scheduling parts on real Redis and BullMQ, with a one-minute window: a window's
 * job stays delayed until the test runs it by hand. `scheduler()` is one more notifier instance
 * over the same Redis (each remembers only the jobs it added itself).
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
  return { logger, metrics, pending, presence, scheduler };
}
