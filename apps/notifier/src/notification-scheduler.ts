import type { MessagePersistedEvent } from '@chat/contracts';
import type { Logger } from '@chat/logger';
import type { PresenceStore } from '@chat/presence-store';
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
 * Takes persisted messages off `notifier.deliveries` and, for every recipient other than the
 * sender who is offline right now, remembers the message and schedules one job per (user,
 * conversation) and collapse window: BullMQ deduplication drops the window's later jobs, and the
 * one job, delayed by the window, collects every message of it.
 */
export class NotificationScheduler {
  readonly #queue: Queue<NotifyJobData>;
  readonly #pending: PendingMessages;
  readonly #presence: PresenceStore;
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

  /** Schedules the notifications of one persisted message; throws when Redis is unreachable (its worker requeues it). */
  async handle({ message, members }: MessagePersistedEvent): Promise<void> {
    const recipients = members.filter((userId) => userId !== message.senderId);
    const online = await this.#presence.withSessions(recipients);
    const offline = recipients.filter((userId) => !online.has(userId));
    for (const userId of offline) {
      await this.#pending.add(userId, message.conversationId, message.id);
      await this.#queue.add(
        'notify',
        { userId, conversationId: message.conversationId },
        {
          delay: this.#options.collapseMs,
          deduplication: { id: collapseKeyOf(userId, message.conversationId), ttl: this.#options.collapseMs },
          attempts: this.#options.attempts,
          backoff: { type: 'exponential', delay: this.#options.backoffMs },
          removeOnComplete: { age: 24 * 3600, count: 10_000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      );
    }
    this.#metrics.scheduled.inc(offline.length);
    if (offline.length > 0) {
      this.#logger.debug({ messageId: message.id, offline: offline.length }, 'notifications scheduled');
    }
  }
}
