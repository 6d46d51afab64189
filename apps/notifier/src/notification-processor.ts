import type { Logger } from '@chat/logger';
import type { PresenceStore } from '@chat/presence-store';
import type { ConversationRepository, MessageRepository, NotificationRepository, RewriteHead } from '@chat/storage';
import { DelayedError, type Job } from 'bullmq';
import { type Notification, notificationIdOf } from './notification.js';
import { nextNotificationAt, type PacingOptions } from './notification-pacing.js';
import type { NotifyJobData } from './notification-scheduler.js';
import type { NotifierMetrics } from './notifier-metrics.js';
import { CLOCK_MARGIN_MS } from './open-windows.js';
import type { PendingMessages } from './pending-messages.js';
import type { NotificationTransport } from './transports/transport.js';
import { unreadFromLog, unreadFromPending } from './unread-messages.js';

/** The last edit or delete of a conversation's log (libs/storage's `LogRewrites`). */
export interface RewriteHeads {
  of(conversationId: string): Promise<RewriteHead | undefined>;
}

type SkipReason = 'nothing pending' | 'online' | 'not a member' | 'already read' | 'already sent';
export type NotifyOutcome = { sent: string; count: number } | { skipped: SkipReason };

/** A recipient who is here, has read, or has left is not waiting on this conversation any more. */
const ENDS_STREAK: ReadonlySet<SkipReason> = new Set(['online', 'not a member', 'already read']);

export interface NotificationProcessorDependencies {
  pending: PendingMessages;
  presence: PresenceStore;
  conversations: ConversationRepository;
  messages: MessageRepository;
  rewrites: RewriteHeads;
  notifications: NotificationRepository;
  transport: NotificationTransport;
  pacing: PacingOptions;
  logger: Logger;
  metrics: NotifierMetrics;
}

/**
 * One notification job: ends its window's deduplication (what arrives from now on makes a new
 * job), claims the window's messages (counted in the streak that paces the next window: a
 * recipient found online, caught up or gone ends it), checks presence and the read cursor once
 * more (a recipient who came online or read them meanwhile is not notified), takes the unread
 * messages from the claim when none of them changed since (unread-messages.ts) or else from the
 * log, sends through the transport (a failure throws, and BullMQ retries with backoff), then
 * records it in MongoDB. A notification already recorded is never sent again.
 */
export function notificationProcessor(deps: NotificationProcessorDependencies) {
  return async (job: Job<NotifyJobData>, token?: string): Promise<NotifyOutcome> => {
    const { userId, conversationId } = job.data;
    const jobId = job.id ?? '';
    // A job added with a delay reckoned from a streak that grew before the add landed (the
    // window's job claimed in between) would notify a gap too soon: it waits for the rest, and
    // the messages that join it meanwhile go with it.
    const [streak, lastSeen] = await Promise.all([
      deps.pending.streakBefore(userId, conversationId, jobId),
      deps.presence.lastSeenOf([userId]),
    ]);
    const allowedAt = nextNotificationAt(streak, lastSeen.get(userId), deps.pacing);
    if (allowedAt !== undefined && Date.now() < allowedAt - CLOCK_MARGIN_MS) {
      await job.moveToDelayed(allowedAt, token);
      deps.metrics.heldForPacing.inc();
      throw new DelayedError();
    }
    const finish = async (outcome: NotifyOutcome): Promise<NotifyOutcome> => {
      await deps.pending.release(
        userId,
        conversationId,
        jobId,
        'skipped' in outcome && ENDS_STREAK.has(outcome.skipped),
      );
      if ('skipped' in outcome) deps.metrics.skipped.inc({ reason: outcome.skipped });
      else deps.metrics.sent.inc({ transport: deps.transport.name });
      return outcome;
    };
    // Before claiming: a message that lands after the claim must get a job of its own, and BullMQ
    // keeps a deduplication key with a TTL until it expires, even once this job has finished.
    // (Removed only if it still names this job.)
    await job.removeDeduplicationKey();
    const claimed = await deps.pending.claim(userId, conversationId, jobId, Date.now());
    if (claimed.length === 0) return finish({ skipped: 'nothing pending' });
    if (await deps.presence.hasSession(userId)) return finish({ skipped: 'online' });
    const [membership, rewrites] = await Promise.all([
      deps.conversations.findMembership(conversationId, userId),
      // Without it the log is read: slower, never wrong.
      deps.rewrites.of(conversationId).catch(() => undefined),
    ]);
    if (!membership) return finish({ skipped: 'not a member' });
    let unread = unreadFromPending(claimed, membership.readSeq, rewrites);
    if (unread) deps.metrics.windowsRead.inc({ source: 'pending' });
    else {
      deps.metrics.windowsRead.inc({ source: 'log' });
      unread = await unreadFromLog(deps.messages, conversationId, claimed, membership.readSeq);
    }
    if (unread.latestPreview === undefined) return finish({ skipped: 'already read' });

    const notification: Notification = {
      userId,
      conversationId,
      messageIds: unread.ids,
      count: unread.ids.length,
      preview: unread.latestPreview,
      // The job's own time: every retry sends the same body.
      createdAt: new Date(job.timestamp).toISOString(),
    };
    const notificationId = notificationIdOf(notification);
    if (await deps.notifications.wasSent(notificationId)) return finish({ skipped: 'already sent' });
    await deps.transport.send(notification, notificationId);
    await deps.notifications.record({
      _id: notificationId,
      ...notification,
      createdAt: new Date(notification.createdAt),
      deliveredAt: new Date(),
      transport: deps.transport.name,
    });
    deps.logger.info(
      { notificationId, userId, conversationId, count: notification.count, attempt: job.attemptsMade + 1 },
      'notification sent',
    );
    return finish({ sent: notificationId, count: notification.count });
  };
}
