import { type Delivery, HEADERS } from '@chat/broker';
import { type MessageCreatedEvent, messageCreatedEvent } from '@chat/contracts';

export type ParsedDelivery =
  | { delivery: Delivery; event: MessageCreatedEvent; poison?: undefined }
  | { delivery: Delivery; poison: string; event?: undefined };

/**
 * Reads a `message.created` off a shard queue. Anything that fails validation can never be
 * written, whatever is retried, so it is poison: it goes to the dead-letter queue at once.
 */
export function parseInbound(delivery: Delivery): ParsedDelivery {
  let payload: unknown;
  try {
    payload = JSON.parse(delivery.message.content.toString('utf8'));
  } catch {
    return { delivery, poison: 'invalid: body is not JSON' };
  }
  const result = messageCreatedEvent.safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { delivery, poison: `invalid: ${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'invalid'}` };
  }
  const header = delivery.message.properties.headers?.[HEADERS.conversationId];
  if (header !== result.data.conversationId) {
    return { delivery, poison: 'invalid: conversation-id header does not match the message' };
  }
  return { delivery, event: result.data };
}
