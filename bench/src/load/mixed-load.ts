import { MIXED_KINDS, type MixedKind } from './protocol.js';

interface LiveMessage {
  sender: number;
  messageId: string;
  /** Index into MIXED_KINDS of what happens to it next. */
  next: number;
}

/**
 * Chooses which sends of an open-loop step are edits, deletes and reactions instead of new
 * messages, and about which message. Deterministic (every n-th send slot), so two runs offer
 * the same mix. The slot goes to the sender of the oldest acked message still alive, not to the
 * slot's own sender: with as many senders as a multiple of n, the same senders would otherwise
 * get every mixed slot and never have a message to change. Each message goes through edit →
 * reaction.add → reaction.remove → delete in consecutive mixed slots, so the four kinds are an
 * even share of the mix from the first step; a deleted one is never touched again, and with no
 * live message the slot sends a new message, so every mixed frame is one the server must accept.
 *
 * Why consecutive: sent back behind every newer message after each step of its life, a message
 * waited ten times longer for each next kind (nine new messages join the queue per mixed slot),
 * so a step's mix was almost all edits and deletes came only in the top steps of the ladder.
 */
export class MixedLoad {
  readonly #every: number;
  readonly #live: LiveMessage[] = [];

  constructor(share: number) {
    this.#every = share > 0 ? Math.max(1, Math.round(1 / share)) : 0;
  }

  get enabled(): boolean {
    return this.#every > 0;
  }

  /** For send slot `n`: a mixed frame (and which sender sends it), or undefined for a new message. */
  pick(n: number): { sender: number; kind: MixedKind; messageId: string } | undefined {
    if (!this.enabled || n % this.#every !== this.#every - 1) return undefined;
    const message = this.#live.shift();
    if (!message) return undefined;
    const kind = MIXED_KINDS[message.next] as MixedKind;
    message.next += 1;
    if (kind !== 'message.delete') this.#live.unshift(message);
    return { sender: message.sender, kind, messageId: message.messageId };
  }

  /** A new message of this sender was acked: it can now be edited, reacted to and deleted. */
  acked(sender: number, messageId: string): void {
    if (this.enabled) this.#live.push({ sender, messageId, next: 0 });
  }
}
