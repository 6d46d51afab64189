import type { ConversationRepository } from '@chat/storage';

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for `conversations.lastSeq`. Batches hand in their highest seq per conversation
 * and wait for a flush that covers them; one flush writes the highest value of every
 * conversation touched since the last one. So the number of update statements per second is
 * bounded by the conversations active in a flush interval, not by the number of batches: on
 * FerretDB, where each update statement is a PostgreSQL commit of its own, this was the
 * persister's largest cost (docs/benchmarks.md).
 */
export class LastSeqFlusher {
  readonly #conversations: ConversationRepository;
  #pending = new Map<string, number>();
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | undefined;

  constructor(conversations: ConversationRepository) {
    this.#conversations = conversations;
  }

  /** Resolves once a flush that includes these values has been written. */
  raise(lastSeqs: ReadonlyMap<string, number>): Promise<void> {
    for (const [conversationId, seq] of lastSeqs) {
      this.#pending.set(conversationId, Math.max(this.#pending.get(conversationId) ?? 0, seq));
    }
    const written = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#kick();
    return written;
  }

  /** Waits for the flush in progress (on shutdown). */
  async idle(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  #kick(): void {
    if (this.#flushing || this.#waiters.length === 0) return;
    const values = this.#pending;
    const waiters = this.#waiters;
    this.#pending = new Map();
    this.#waiters = [];
    this.#flushing = this.#conversations
      .raiseLastSeqs(values)
      .then(
        () => {
          for (const waiter of waiters) waiter.resolve();
        },
        (error: unknown) => {
          for (const waiter of waiters) waiter.reject(error);
        },
      )
      .finally(() => {
        this.#flushing = undefined;
        this.#kick();
      });
  }
}
