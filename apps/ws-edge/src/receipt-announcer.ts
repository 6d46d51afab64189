import { EVENTS, type EventPublisher } from '@chat/broker';
import type { Receipt } from '@chat/contracts';
import type { Logger } from '@chat/logger';

/** How long moves of one conversation's cursors are gathered into one event. */
export const RECEIPT_GATHER_MS = 250;

interface Pending {
  members: readonly string[];
  receipts: Map<string, Receipt>;
}

/**
 * Tells a conversation's members that cursors moved, at most once per RECEIPT_GATHER_MS per
 * conversation on this node: in a busy group every member's device reports deliveries, and each
 * report must not become a push to everyone. Only the latest cursors of each member go out.
 * Receipts are a courtesy, not the record (that is the membership, read by
 * `conversation.receipts`), so one lost to a broker outage is logged and not retried.
 */
export class ReceiptAnnouncer {
  readonly #publisher: EventPublisher;
  readonly #logger: Logger;
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;

  constructor(publisher: EventPublisher, logger: Logger) {
    this.#publisher = publisher;
    this.#logger = logger;
  }

  announce(conversationId: string, members: readonly string[], receipt: Receipt): void {
    const pending = this.#pending.get(conversationId) ?? { members, receipts: new Map() };
    pending.members = members;
    pending.receipts.set(receipt.userId, receipt);
    this.#pending.set(conversationId, pending);
    this.#timer ??= setTimeout(() => void this.flush(), RECEIPT_GATHER_MS);
  }

  /** Sends what is gathered now (also on shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = [...this.#pending];
    this.#pending.clear();
    await Promise.all(
      batch.map(async ([conversationId, { members, receipts }]) => {
        try {
          await this.#publisher.publish(EVENTS.receiptsChanged, {
            type: 'receipts.changed',
            conversationId,
            receipts: [...receipts.values()],
            members: [...members],
          });
        } catch (error) {
          this.#logger.warn(
            { err: error, conversationId },
            'could not announce receipts; members see them on their next conversation.receipts',
          );
        }
      }),
    );
  }
}
