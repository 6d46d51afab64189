import { randomUUID } from 'node:crypto';
import type { NotificationsDueEvent } from '@chat/contracts';
import type { Logger } from '@chat/logger';
import type { PresenceStore } from '@chat/presence-store';
import type { Queue } from 'bullmq';
import { type PacingOptions, streakHolds, windowDelay } from './notification-pacing.js';
import type { NotifierMetrics } from './notifier-metrics.js';
import { OpenWindows } from './open-windows.js';
import type { AnnouncedMessage, PendingMessages, PendingWindow } from './pending-messages.js';

export interface NotifyJobData {
  userId: string;
  conversationId: string;
}

export interface SchedulerOptions extends PacingOptions {
  attempts: number;
  backoffMs: number;
}

/** BullMQ job ids and deduplication ids must not contain ':'. */
export function collapseKeyOf(userId: string, conversationId: string): string {
  return `${userId}_${conversationId}`;
}

/**
 * Takes `notifications.due` off `notifier.deliveries` (the writer found those recipients offline
 * when it wrote the batch) and, for each (user, conversation), remembers the messages and
 * schedules one job per collapse window: BullMQ deduplication drops the window's later jobs, and
 * the one job, delayed by the window, collects every message of it and checks presence again.
 * The window lengthens while the conversation stays unread (notification-pacing.ts), and a
 * window whose job this notifier created is not added again while that job is to come
 * (open-windows.ts).
 */
export class NotificationScheduler {
  readonly #queue: Queue<NotifyJobData>;
  readonly #pending: PendingMessages;
  readonly #presence: PresenceStore;
  readonly #open = new OpenWindows();
  readonly #options: SchedulerOptions;
  readonly #logger: Logger;
  readonly #metrics: NotifierMetrics;

  constructor(
    queue: Queue<NotifyJobData>,
    pending: PendingMessages,
    presence: PresenceStore,
    options: SchedulerOptions,
    logger: Logger,
    metrics: NotifierMetrics,
  ) {
    this.#queue = queue;
    this.#pending = pending;
    this.#presence = presence;
    this.#options = options;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  /**
   * Schedules a batch's due notifications: the messages of each (user, conversation) go into its
   * pending set, and a window without a job of this notifier's still to come gets one, delayed
   * as its streak says. Two round trips, one after the other: the sets with their streaks and the
   * recipients' last-seen times, then `addBulk` (and one more to end the streaks of recipients
   * who came back meanwhile). Throws when Redis is unreachable (its worker requeues the event;
   * adding a message twice is harmless, and the job of a window is deduplicated).
   */
  async handle({ messages, rewritesEpoch }: NotificationsDueEvent): Promise<void> {
    const windows = new Map<string, PendingWindow & { messages: AnnouncedMessage[] }>();
    for (const { conversationId, messageId, seq, recipients, preview } of messages) {
      for (const userId of recipients) {
        const key = collapseKeyOf(userId, conversationId);
        const window = windows.get(key) ?? { userId, conversationId, rewritesEpoch, messages: [] };
        window.messages.push({ id: messageId, seq, ...(preview === undefined ? {} : { preview }) });
        windows.set(key, window);
      }
    }
    const touched = [...windows.entries()];
    const [streaks, lastSeen] = await Promise.all([
      this.#pending.add(touched.map(([, window]) => window)),
      this.#presence.lastSeenOf([...new Set(touched.map(([, window]) => window.userId))]),
    ]);
    // Taken after the messages were added: a job due well after now has not claimed them yet.
    const nowMs = Date.now();
    const ended: PendingWindow[] = [];
    const jobs: Array<{ key: string; window: PendingWindow; delay: number; jobId: string }> = [];
    touched.forEach(([key, window], index) => {
      const streak = streaks[index];
      const seen = lastSeen.get(window.userId);
      if (streak !== undefined && !streakHolds(streak, seen)) ended.push(window);
      if (this.#open.isOpen(key, nowMs)) return;
      jobs.push({ key, window, delay: windowDelay(streak, seen, nowMs, this.#options), jobId: randomUUID() });
    });
    await this.#pending.endStreaks(ended);
    if (jobs.length > 0) {
      // No later than the time BullMQ stamps on the jobs: each is due at least its delay after it.
      const addedAtMs = Date.now();
      const added = await this.#queue.addBulk(
        jobs.map(({ key, window: { userId, conversationId }, delay, jobId }) => ({
          name: 'notify',
          data: { userId, conversationId },
          opts: {
            jobId,
            delay,
            // As long as the window: every message of it joins this one job.
            deduplication: { id: key, ttl: delay },
            attempts: this.#options.attempts,
            backoff: { type: 'exponential', delay: this.#options.backoffMs },
            removeOnComplete: { age: 24 * 3600, count: 10_000 },
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        })),
      );
      // A job deduplicated into one already there answers that one's id, whose due time is unknown.
      added.forEach((job, index) => {
        const wanted = jobs[index];
        if (wanted && job.id === wanted.jobId) this.#open.opened(wanted.key, addedAtMs + wanted.delay, addedAtMs);
      });
    }
    let scheduled = 0;
    for (const window of windows.values()) scheduled += window.messages.length;
    this.#metrics.scheduled.inc(scheduled);
    this.#logger.debug(
      { messages: messages.length, windows: windows.size, jobs: jobs.length },
      'notifications scheduled',
    );
  }
}
