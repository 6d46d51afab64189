import type { Logger } from '@chat/logger';
import type { PresenceStore } from '@chat/presence-store';
import type {
  ConversationRepository,
  LogDocument,
  MessageDocument,
  MessageRepository,
  NotificationRepository,
} from '@chat/storage';
import type { Job } from 'bullmq';
import { type Notification, notificationIdOf, previewOf } from './notification.js';
import type { NotifyJobData } from './notification-scheduler.js';
import type { NotifierMetrics } from './notifier-metrics.js';
import type { PendingMessage, PendingMessages } from './pending-messages.js';
import type { NotificationTransport } from './transports/transport.js';

/**
 * A window's messages are read as one range of the log when it spans at most this many entries;
 * past it (a busy group), by id. On FerretDB each id is a query of its own (libs/storage's
 * `ServerDialect.findIn`), which made notifications the drain's largest database cost.
 */
export const MAX_RANGE_READ_ENTRIES = 500;

type SkipReason = 'nothing pending' | 'online' | 'not a member' | 'already read' | 'already sent';
export type NotifyOutcome = { sent: string; count: number } | { skipped: SkipReason };

/** A recipient who is here, has read, or has left is not waiting on this conversation any more. */
const ENDS_STREAK: ReadonlySet<SkipReason> = new Set(['online', 'not a member', 'already read']);

export interface NotificationProcessorDependencies {
  pending: PendingMessages;
  presence: PresenceStore;
  conversations: ConversationRepository;
  messages: MessageRepository;
  notifications: NotificationRepository;
  transport: NotificationTransport;
  logger: Logger;
  metrics: NotifierMetrics;
}

/**
 * One notification job: ends its window's deduplication (what arrives from now on makes a new
 * job), claims the window's messages (counted in the streak that paces the next window: a
 * recipient found online, caught up or gone ends it), checks presence and the read cursor once
 * more (a recipient who came online or read them meanwhile is not notified), sends through the
 * transport (a failure throws, and BullMQ retries with backoff), then records it in MongoDB.
 * A notification already recorded is never sent again.
 */
export function notificationProcessor(deps: NotificationProcessorDependencies) {
  return async (job: Job<NotifyJobData>): Promise<NotifyOutcome> => {
    const { userId, conversationId } = job.data;
    const jobId = job.id ?? '';
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
    const membership = await deps.conversations.findMembership(conversationId, userId);
    if (!membership) return finish({ skipped: 'not a member' });
    // A message deleted since it was sent has no text left to show, and is not notified.
    const unread = (await readPending(deps.messages, conversationId, claimed, membership.readSeq))
      .filter((doc): doc is MessageDocument & { body: string } => doc.kind === undefined && doc.body !== undefined)
      .filter((message) => message.seq > membership.readSeq)
      .sort((a, b) => a.seq - b.seq);
    const latest = unread.at(-1);
    if (!latest) return finish({ skipped: 'already read' });

    const notification: Notification = {
      userId,
      conversationId,
      messageIds: unread.map((message) => message._id),
      count: unread.length,
      preview: previewOf(latest.body),
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

/**
 * The stored documents of the claimed messages not read yet: those with seqs as one range read
 * of the log (the entries between them included, then dropped), the rest by id.
 */
async function readPending(
  messages: MessageRepository,
  conversationId: string,
  claimed: readonly PendingMessage[],
  readSeq: number,
): Promise<LogDocument[]> {
  const unreadIds = new Set<string>();
  const byIdOnly: string[] = [];
  let lowest = Number.POSITIVE_INFINITY;
  let highest = 0;
  for (const { id, seq } of claimed) {
    if (seq === undefined) byIdOnly.push(id);
    else if (seq > readSeq) {
      unreadIds.add(id);
      lowest = Math.min(lowest, seq);
      highest = Math.max(highest, seq);
    }
  }
  const afterSeq = lowest - 1;
  const inRange =
    unreadIds.size === 0
      ? []
      : highest - afterSeq <= MAX_RANGE_READ_ENTRIES
        ? (await messages.entries(conversationId, afterSeq, highest - afterSeq, highest)).filter((doc) =>
            unreadIds.has(doc._id),
          )
        : [...(await messages.findByIds([...unreadIds])).values()];
  const legacy = byIdOnly.length > 0 ? [...(await messages.findByIds(byIdOnly)).values()] : [];
  return [...inRange, ...legacy];
}
