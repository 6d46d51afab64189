import type { ConversationState } from './conversation-state.js';

/**
 * Sends `message.delivered` as the client applies entries, at most once per `throttleMs` per
 * conversation and only when the seq moved: a burst of 100 pushes costs one frame, not 100. The
 * server keeps the highest of the user's devices, so a lost one only delays the tick.
 */
export class DeliveredReceipts {
  readonly #throttleMs: number;
  readonly #send: (conversationId: string, seq: number) => Promise<unknown>;
  readonly #canSend: () => boolean;
  readonly #sent = new Map<string, number>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(options: {
    throttleMs: number;
    send: (conversationId: string, seq: number) => Promise<unknown>;
    canSend: () => boolean;
  }) {
    this.#throttleMs = options.throttleMs;
    this.#send = options.send;
    this.#canSend = options.canSend;
  }

  /** The conversation applied entries (or a socket opened): say so, soon. */
  applied(conversation: ConversationState): void {
    if (this.#timers.has(conversation.id)) return;
    if ((this.#sent.get(conversation.id) ?? 0) >= conversation.appliedSeq) return;
    const timer = setTimeout(() => {
      this.#timers.delete(conversation.id);
      const seq = conversation.appliedSeq;
      if (!this.#canSend() || !conversation.member || seq <= (this.#sent.get(conversation.id) ?? 0)) return;
      this.#sent.set(conversation.id, seq);
      this.#send(conversation.id, seq).catch(() => {
        // Not sent: the next entry applied or the next connect sends it again.
        if (this.#sent.get(conversation.id) === seq) this.#sent.delete(conversation.id);
      });
    }, this.#throttleMs);
    this.#timers.set(conversation.id, timer);
  }

  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
