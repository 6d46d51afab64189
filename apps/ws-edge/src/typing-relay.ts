import { EVENTS, type EventPublisher } from '@chat/broker';
import type { TypingEvent } from '@chat/contracts';
import { LRUCache } from 'lru-cache';
import type { ConversationService } from './conversation-service.js';

/** One typing event per user and conversation per this long; more are acked and dropped. */
export const TYPING_THROTTLE_MS = 1_000;

/** `typing {conversationId}`: relayed to the other members on every node, never stored. */
export class TypingRelay {
  readonly #conversations: ConversationService;
  readonly #publisher: EventPublisher;
  readonly #lastSent = new LRUCache<string, true>({ max: 100_000, ttl: TYPING_THROTTLE_MS });

  constructor(conversations: ConversationService, publisher: EventPublisher) {
    this.#conversations = conversations;
    this.#publisher = publisher;
  }

  async typing(userId: string, conversationId: string): Promise<void> {
    const conversation = await this.#conversations.requireMember(userId, conversationId);
    const key = `${conversationId}:${userId}`;
    if (this.#lastSent.has(key)) return;
    this.#lastSent.set(key, true);
    const event: TypingEvent = { type: 'typing', conversationId, userId, members: [...conversation.members] };
    await this.#publisher.publish(EVENTS.typing, event);
  }
}
