import { EVENTS, type EventPublisher } from '@chat/broker';
import type { PresenceEvent } from '@chat/contracts';
import type { Logger } from '@chat/logger';
import type { PresenceStore } from '@chat/presence-store';
import type { PresenceMetrics } from './presence-metrics.js';

/**
 * Applies what edges report to the presence store. Every change is one atomic script that also
 * records the resulting online/offline transitions in the outbox; a heartbeat from a node the
 * store does not know (holding sessions) is answered with a request to re-announce them.
 */
export class PresenceEventHandler {
  readonly #store: PresenceStore;
  readonly #publisher: EventPublisher;
  readonly #logger: Logger;
  readonly #metrics: PresenceMetrics;
  readonly #changed: () => void;

  constructor(
    store: PresenceStore,
    publisher: EventPublisher,
    logger: Logger,
    metrics: PresenceMetrics,
    onTransitions: () => void,
  ) {
    this.#store = store;
    this.#publisher = publisher;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#changed = onTransitions;
  }

  /** Applies one event; throws when Redis is unreachable (its worker requeues it). */
  async handle(event: PresenceEvent): Promise<void> {
    this.#logger.debug(
      { event: event.type, node: event.node, userId: 'userId' in event ? event.userId : undefined },
      'presence event',
    );
    if (await this.#apply(event)) this.#changed();
    this.#metrics.events.inc({ type: event.type });
  }

  /** Returns true when the outbox may have new transitions. */
  async #apply(event: PresenceEvent): Promise<boolean> {
    switch (event.type) {
      case 'connected':
        return this.#store.connect(event.node, event, event.at);
      case 'disconnected':
        await this.#store.disconnect(event.node, event, event.at);
        return false;
      case 'snapshot':
        return (await this.#store.snapshot(event.node, event.at, event.sessions)) > 0;
      case 'heartbeat': {
        if (await this.#store.heartbeat(event.node, event.at, event.sessions)) {
          this.#logger.info(
            { node: event.node, sessions: event.sessions },
            'unknown node holds sessions; asking it to resync',
          );
          this.#metrics.resyncs.inc();
          await this.#publisher.publish(EVENTS.presenceResync, { type: 'presence.resync', node: event.node });
        }
        return false;
      }
    }
  }
}
