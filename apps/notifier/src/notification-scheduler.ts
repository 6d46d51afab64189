import type { NotificationsDueEvent } from '@chat/contracts';
import type { Logger } from '@chat/logger';
import type { Queue } from 'bullmq';
import type { NotifierMetrics } from './notifier-metrics.js';
import type { PendingMessages } from './pending-messages.js';

export interface NotifyJobData {
  userId: string;
  conversationId: string;
}

export interface SchedulerOptions {
  collapseMs: number;
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
 */
export class NotificationScheduler {
  readonly #queue: Queue<NotifyJobData>;
  readonly #pending: PendingMessages;
  readonly #options: SchedulerOptions;
  readonly #logger: Logger;
  readonly #metrics: NotifierMetrics;

  constructor(
    queue: Queue<NotifyJobData>,
    pending: PendingMessages,
    options: SchedulerOptions,
    logger: Logger,
    metrics: NotifierMetrics,
  ) {
    this.#queue = queue;
    this.#pending = pending;
    this.#options = options;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  /**
   * Schedules a batch's due notifications: the messages of one (user, conversation) go into its
   * pending set in one write and make one job. Throws when Redis is unreachable (its worker
   * requeues the event; adding a message twice is harmless).
   */
  async handle({ messages }: NotificationsDueEvent): Promise<void> {
    const windows = new Map<string, { userId: string; conversationId: string; messageIds: string[] }>();
    for (const { conversationId, messageId, recipients } of messages) {
      for (const userId of recipients) {
        const key = collapseKeyOf(userId, conversationId);
        const window = windows.get(key) ?? { userId, conversationId, messageIds: [] };
        window.messageIds.push(messageId);
        windows.set(key, window);
      }
    }
    for (const [key, { userId, conversationId, messageIds }] of windows) {
      await this.#pending.add(userId, conversationId, messageIds);
      await this.#queue.add(
        'notify',
        { userId, conversationId },
        {
          delay: this.#options.collapseMs,
          deduplication: { id: key, ttl: this.#options.collapseMs },
          attempts: this.#options.attempts,
          backoff: { type: 'exponential', delay: this.#options.backoffMs },
          removeOnComplete: { age: 24 * 3600, count: 10_000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      );
      this.#metrics.scheduled.inc(messageIds.length);
    }
    this.#logger.debug({ messages: messages.length, windows: windows.size }, 'notifications scheduled');
  }
}
