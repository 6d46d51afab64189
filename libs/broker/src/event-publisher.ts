import { ChatError } from '@chat/contracts';
import type { ConfirmPublisher } from './confirm-publisher.js';
import type { EventDefinition } from './event-catalogue.js';

const EVENT_CONTENT_TYPE = 'application/json';

/** An event does not satisfy its own schema: a bug or an input the caller should have refused. */
export class InvalidEventError extends ChatError {
  constructor(eventName: string, issue: string) {
    super('bad_request', `${eventName}: ${issue}`);
    this.name = 'InvalidEventError';
  }
}

/** The one JSON encoding of every event. */
function encodeEvent(event: unknown): Buffer {
  return Buffer.from(JSON.stringify(event));
}

/**
 * Publishes catalogue events with publisher confirms. Each event is checked against its schema
 * first: a consumer must never be handed, as poison, an event its publisher could have refused
 * (an acked message dead-lettered for a reason the edge could see).
 */
export class EventPublisher {
  readonly #publisher: ConfirmPublisher;

  constructor(publisher: ConfirmPublisher) {
    this.#publisher = publisher;
  }

  /** Resolves once the broker has confirmed the event; rejects with `unavailable` otherwise. */
  async publish<T>(definition: EventDefinition<T>, event: NoInfer<T>): Promise<void> {
    const checked = definition.schema.safeParse(event);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new InvalidEventError(definition.name, `${issue?.path.join('.') || 'event'}: ${issue?.message}`);
    }
    await this.#publisher.publish(definition.exchange, definition.routingKey(event), encodeEvent(event), {
      messageId: definition.messageId(event),
      contentType: EVENT_CONTENT_TYPE,
      type: (event as { type?: string }).type ?? definition.name,
      persistent: definition.durable,
      mandatory: definition.mandatory,
      ...(definition.headers ? { headers: definition.headers(event) } : {}),
    });
  }
}
