import { EVENTS, type EventPublisher } from '@chat/broker';
import type { PresenceChangedEvent } from '@chat/contracts';
import type { Logger } from '@chat/logger';
import type { PresenceStore } from '@chat/presence-store';
import type { PresenceMetrics } from './presence-metrics.js';

/** How often the outbox is checked even without a local trigger (another worker's leftovers). */
const DRAIN_INTERVAL_MS = 500;

/**
 * Publishes the outbox of online/offline transitions as `presence.changed` on chat.deliveries,
 * confirmed, in order, and only then removes them: a transition is announced at least once and
 * never lost, whichever worker recorded it and whichever drains it.
 */
export class TransitionPublisher {
  readonly #store: PresenceStore;
  readonly #publisher: EventPublisher;
  readonly #logger: Logger;
  readonly #metrics: PresenceMetrics;
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #again = false;

  constructor(store: PresenceStore, publisher: EventPublisher, logger: Logger, metrics: PresenceMetrics) {
    this.#store = store;
    this.#publisher = publisher;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  start(): void {
    this.#timer = setInterval(() => this.drain(), DRAIN_INTERVAL_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#draining;
  }

  /** Drains now (or right after the drain in progress). */
  drain(): void {
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = this.#drainAll()
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'presence outbox not drained; will retry'))
      .finally(() => {
        this.#draining = undefined;
        if (this.#again) {
          this.#again = false;
          this.drain();
        }
      });
  }

  async #drainAll(): Promise<void> {
    for (;;) {
      const drained = await this.#store.drainOutbox(async (transitions) => {
        await Promise.all(
          transitions.map((transition) => {
            const event: PresenceChangedEvent = {
              type: 'presence.changed',
              userId: transition.userId,
              status: transition.status,
              version: transition.version,
              ...(transition.lastSeen === undefined ? {} : { lastSeen: new Date(transition.lastSeen).toISOString() }),
            };
            return this.#publisher.publish(EVENTS.presenceChanged, event);
          }),
        );
        for (const transition of transitions) {
          this.#metrics.transitions.inc({ status: transition.status });
          this.#logger.info(transition, 'presence changed');
        }
      });
      if (drained === 0) return;
    }
  }
}
