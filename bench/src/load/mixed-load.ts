import { MIXED_KINDS, type MixedKind } from './protocol.js';

/**
 * Chooses which sends of an open-loop step are edits, deletes and reactions instead of new
 * messages, and about which message. Deterministic (every n-th send), so two runs offer the same
 * mix. Each sender walks its latest acked message through edit → reaction.add → reaction.remove
 * → delete; a deleted message is never touched again, and a sender with no live message sends a
 * new one instead, so every mixed frame is one the server must accept.
 */
export class MixedLoad {
  readonly #every: number;
  readonly #latest = new Map<number, { messageId: string; next: number }>();

  constructor(share: number) {
    this.#every = share > 0 ? Math.max(1, Math.round(1 / share)) : 0;
  }

  get enabled(): boolean {
    return this.#every > 0;
  }

  /** For send number `n` from sender `sender`: a mixed frame to send, or undefined for a new message. */
  pick(n: number, sender: number): { kind: MixedKind; messageId: string } | undefined {
    if (!this.enabled || n % this.#every !== this.#every - 1) return undefined;
    const latest = this.#latest.get(sender);
    if (!latest) return undefined;
    const kind = MIXED_KINDS[latest.next] as MixedKind;
    latest.next += 1;
    if (kind === 'message.delete') this.#latest.delete(sender);
    return { kind, messageId: latest.messageId };
  }

  /** A new message of this sender was acked: the next mixed frames are about it. */
  acked(sender: number, messageId: string): void {
    if (this.enabled) this.#latest.set(sender, { messageId, next: 0 });
  }
}
