import type { LogAppendedEvent } from '@chat/contracts';
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
 * Takes written log entries off `notifier.deliveries` and, for each new message, for every recipient other than the
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

  /**
   * Schedules the notifications of a batch's new messages (its other entries notify nobody):
   * one presence lookup for the whole batch, since a batch spans many conversations of one or
   * two messages each. Throws when Redis is unreachable (its worker requeues it).
   */
  async handle({ segments }: LogAppendedEvent): Promise<void> {
    const withMessages = segments.flatMap(({ members, entries }) => {
      const messages = entries.flatMap((entry) => (entry.type === 'message.new' ? [entry.message] : []));
      return messages.length === 0 ? [] : [{ members, messages }];
    });
    if (withMessages.length === 0) return;
    const online = await this.#presence.withSessions([...new Set(withMessages.flatMap(({ members }) => members))]);
    for (const { members, messages } of withMessages) {
      for (const message of messages) {
        const offline = members.filter((userId) => userId !== message.senderId && !online.has(userId));
        for (const userId of offline) await this.#schedule(userId, message.conversationId, message.id);
        this.#metrics.scheduled.inc(offline.length);
        if (offline.length > 0) {
          this.#logger.debug({ messageId: message.id, offline: offline.length }, 'notifications scheduled');
        }
      }
    }
  }

  async #schedule(userId: string, conversationId: string, messageId: string): Promise<void> {
    await this.#pending.add(userId, conversationId, messageId);
    await this.#queue.add(
      'notify',
      { userId, conversationId },
      {
        delay: this.#options.collapseMs,
        deduplication: { id: collapseKeyOf(userId, conversationId), ttl: this.#options.collapseMs },
        attempts: this.#options.attempts,
        backoff: { type: 'exponential', delay: this.#options.backoffMs },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }
}
