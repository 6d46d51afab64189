import { type ConfirmPublisher, type Delivery, EXCHANGES } from '@chat/broker';
import { type PresenceEvent, type PresenceResyncEvent, presenceEvent } from '@chat/contracts';
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
  readonly #publisher: ConfirmPublisher;
  readonly #logger: Logger;
  readonly #metrics: PresenceMetrics;
  readonly #changed: () => void;

  constructor(
    store: PresenceStore,
    publisher: ConfirmPublisher,
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

  async handle(delivery: Delivery): Promise<void> {
    let event: PresenceEvent;
    try {
      event = presenceEvent.parse(JSON.parse(delivery.message.content.toString('utf8')));
    } catch (error) {
      this.#logger.warn({ err: error }, 'dropping an invalid presence event');
      delivery.ack();
      return;
    }
    try {
      this.#logger.debug(
        { event: event.type, node: event.node, userId: 'userId' in event ? event.userId : undefined },
        'presence event',
      );
      if (await this.#apply(event)) this.#changed();
      this.#metrics.events.inc({ type: event.type });
      delivery.ack();
    } catch (error) {
      // Redis is unreachable: the event goes back to the queue and is applied later.
      this.#logger.warn({ err: error, event: event.type, node: event.node }, 'presence event not applied; requeued');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      delivery.nack(true);
    }
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
          const resync: PresenceResyncEvent = { type: 'presence.resync', node: event.node };
          await this.#publisher.publish(EXCHANGES.deliveries, '', Buffer.from(JSON.stringify(resync)), {
            messageId: `resync-${event.node}-${event.at}`,
            contentType: 'application/json',
            type: resync.type,
          });
        }
        return false;
      }
    }
  }
}
