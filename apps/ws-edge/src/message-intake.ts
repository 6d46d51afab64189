import { EVENTS, type EventPublisher } from '@chat/broker';
import { ChatError, MAX_MESSAGE_BODY_BYTES, type MessageCreatedEvent, messageIdOf } from '@chat/contracts';
import { v4 as uuidv4 } from 'uuid';
import type { ConversationService } from './conversation-service.js';
import type { EdgeMetrics } from './edge-metrics.js';

/** A message body (sent or edited) over the limit is `too_large`; the frame schema checks the rest. */
export function requireBodyWithinLimit(body: string): void {
  if (Buffer.byteLength(body) > MAX_MESSAGE_BODY_BYTES) {
    throw new ChatError('too_large', `message body is larger than ${MAX_MESSAGE_BODY_BYTES} bytes`);
  }
}

/**
 * Accepts a message from a client: checks size and membership, then publishes
 * `message.created` to chat.inbound and resolves once the broker has confirmed it.
 */
export class MessageIntake {
  readonly #publisher: EventPublisher;
  readonly #conversations: ConversationService;
  readonly #metrics: EdgeMetrics;

  constructor(publisher: EventPublisher, conversations: ConversationService, metrics: EdgeMetrics) {
    this.#publisher = publisher;
    this.#conversations = conversations;
    this.#metrics = metrics;
  }

  async accept(
    senderId: string,
    message: { conversationId: string; body: string; clientMsgId?: string | undefined; replyTo?: string | undefined },
  ): Promise<{ messageId: string }> {
    requireBodyWithinLimit(message.body);
    const conversation = await this.#conversations.requireMember(senderId, message.conversationId);
    if (message.replyTo !== undefined)
      await this.#conversations.requireMessage(message.conversationId, message.replyTo);
    // Without a clientMsgId the client cannot resend safely; the message still needs a unique one.
    const clientMsgId = message.clientMsgId ?? uuidv4();
    const messageId = messageIdOf({ senderId, conversationId: message.conversationId, clientMsgId });
    const event: MessageCreatedEvent = {
      type: 'message.created',
      messageId,
      conversationId: message.conversationId,
      senderId,
      clientMsgId,
      body: message.body,
      ...(message.replyTo === undefined ? {} : { replyTo: message.replyTo }),
      createdAt: new Date().toISOString(),
      members: [...conversation.members],
    };
    try {
      await this.#publisher.publish(EVENTS.messageCreated, event);
    } catch (error) {
      this.#metrics.publishFailures.inc();
      throw error;
    }
    this.#metrics.messagesPublished.inc();
    return { messageId };
  }
}
