import { EVENTS, type EventPublisher } from '@chat/broker';
import type { MessageReadEvent } from '@chat/contracts';
import type { ConversationRepository } from '@chat/storage';
import type { ConversationService } from './conversation-service.js';

/**
 * Read cursors: `message.read {conversationId, seq}` moves the member's cursor forward (never
 * back; a seq past the conversation's last is taken as its last) and tells the other members.
 * Updates of one member's cursor are serialized on this node, which makes them monotonic on
 * FerretDB too, where a filtered update is read-then-write.
 */
export class ReadReceipts {
  readonly #conversations: ConversationService;
  readonly #repository: ConversationRepository;
  readonly #publisher: EventPublisher;
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(conversations: ConversationService, repository: ConversationRepository, publisher: EventPublisher) {
    this.#conversations = conversations;
    this.#repository = repository;
    this.#publisher = publisher;
  }

  async markRead(
    userId: string,
    sessionId: string,
    conversationId: string,
    seq: number,
  ): Promise<{ conversationId: string; seq: number }> {
    const conversation = await this.#conversations.requireMember(userId, conversationId);
    const key = `${conversationId}:${userId}`;
    const previous = this.#inFlight.get(key) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const document = await this.#repository.findById(conversationId);
        const target = Math.min(seq, document?.lastSeq ?? 0);
        const advanced = target > 0 && (await this.#repository.advanceReadCursor(conversationId, userId, target));
        if (advanced) {
          const event: MessageReadEvent = {
            type: 'message.read',
            conversationId,
            userId,
            seq: target,
            members: [...conversation.members],
            sessionId,
          };
          await this.#publisher.publish(EVENTS.messageRead, event);
        }
        const membership = await this.#repository.findMembership(conversationId, userId);
        return { conversationId, seq: membership?.readSeq ?? target };
      });
    this.#inFlight.set(key, run);
    try {
      return await run;
    } finally {
      if (this.#inFlight.get(key) === run) this.#inFlight.delete(key);
    }
  }
}
