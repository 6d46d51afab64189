import { EVENTS, type EventPublisher } from '@chat/broker';
import type { MessageReadEvent, Receipt } from '@chat/contracts';
import { type ConversationRepository, type LogHeads, receiptOf } from '@chat/storage';
import type { ConversationService } from './conversation-service.js';
import type { ReceiptAnnouncer } from './receipt-announcer.js';

/**
 * A member's two cursors in a conversation. `message.delivered {seq}`: one of the user's devices
 * holds everything up to `seq`; `message.read {seq}`: the user has read up to `seq` (which also
 * means delivered). Each moves forward only (a seq past the conversation's last is taken as its
 * last), the user's other connections hear of a read, and the other members get
 * `receipt.changed`. Updates of one member's cursors are serialized on this node, which keeps
 * them monotonic on FerretDB too, where an update is read-then-write.
 */
export class ReadReceipts {
  readonly #conversations: ConversationService;
  readonly #repository: ConversationRepository;
  readonly #publisher: EventPublisher;
  readonly #announcer: ReceiptAnnouncer;
  readonly #heads: LogHeads;
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(
    conversations: ConversationService,
    repository: ConversationRepository,
    publisher: EventPublisher,
    announcer: ReceiptAnnouncer,
    heads: LogHeads,
  ) {
    this.#conversations = conversations;
    this.#repository = repository;
    this.#publisher = publisher;
    this.#announcer = announcer;
    this.#heads = heads;
  }

  /** Moves the read cursor; answers it as it now stands. */
  async markRead(userId: string, sessionId: string, conversationId: string, seq: number) {
    const receipt = await this.#advance(userId, conversationId, 'read', seq, async (conversation, target) => {
      const event: MessageReadEvent = {
        type: 'message.read',
        conversationId,
        userId,
        seq: target,
        members: [...conversation.members],
        sessionId,
      };
      await this.#publisher.publish(EVENTS.messageRead, event);
    });
    return { conversationId, seq: receipt.readSeq };
  }

  /** Moves the delivered cursor; answers it as it now stands. */
  async markDelivered(userId: string, conversationId: string, seq: number) {
    const receipt = await this.#advance(userId, conversationId, 'delivered', seq);
    return { conversationId, seq: receipt.deliveredSeq };
  }

  /** Every member's cursors, for a member. */
  async receiptsOf(userId: string, conversationId: string): Promise<{ receipts: Receipt[] }> {
    await this.#conversations.requireMember(userId, conversationId);
    return { receipts: await this.#repository.receiptsOf(conversationId) };
  }

  async #advance(
    userId: string,
    conversationId: string,
    cursor: 'read' | 'delivered',
    seq: number,
    onAdvanced?: (conversation: { members: ReadonlySet<string> }, target: number) => Promise<void>,
  ): Promise<Receipt> {
    const conversation = await this.#conversations.requireMember(userId, conversationId);
    const key = `${conversationId}:${userId}`;
    const previous = this.#inFlight.get(key) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const target = Math.min(seq, await this.#heads.headOf(conversationId));
        const advanced = target > 0 && (await this.#repository.advanceCursors(conversationId, userId, cursor, target));
        const membership = await this.#repository.findMembership(conversationId, userId);
        const receipt = membership ? receiptOf(membership) : { userId, deliveredSeq: 0, readSeq: 0 };
        if (advanced) {
          await onAdvanced?.(conversation, target);
          this.#announcer.announce(conversationId, [...conversation.members], receipt);
        }
        return receipt;
      });
    this.#inFlight.set(key, run);
    try {
      return await run;
    } finally {
      if (this.#inFlight.get(key) === run) this.#inFlight.delete(key);
    }
  }
}
