import type { LogEntry } from '@chat/contracts';
import { entrySeq } from '@chat/contracts/browser';

/** Seqs this client is missing: from `afterSeq + 1` up to `toSeq` (what `log.get` should fetch). */
export interface SeqGap {
  afterSeq: number;
  toSeq: number;
}

/**
 * Puts one conversation's log entries in seq order, once. Entries come from pushes and from
 * `log.get` pages, which overlap and may arrive in any order; a push can also be lost (a broker
 * restart drops the edge's queue) while the socket stays up. The sequencer releases an entry only
 * when every entry before it has been released, drops what it already released or holds, and
 * says what is missing so the client can fetch it.
 */
export class LogSequencer {
  /** Every entry up to this seq was released, and none after. */
  #appliedSeq = 0;
  /** The highest seq known to exist (from entries seen, listings, acks). */
  #knownSeq = 0;
  /** Entries past a gap, by seq, until the gap is filled. */
  readonly #ahead = new Map<number, LogEntry>();

  get appliedSeq(): number {
    return this.#appliedSeq;
  }

  get knownSeq(): number {
    return this.#knownSeq;
  }

  /** How many entries wait behind a gap. */
  get waiting(): number {
    return this.#ahead.size;
  }

  /** Whether entries are known to exist that were not released yet. */
  get behind(): boolean {
    return this.#appliedSeq < this.#knownSeq;
  }

  /** The first run of missing seqs, if any. */
  get gap(): SeqGap | undefined {
    if (!this.behind) return undefined;
    let toSeq = this.#knownSeq;
    for (const seq of this.#ahead.keys()) if (seq - 1 < toSeq) toSeq = seq - 1;
    return { afterSeq: this.#appliedSeq, toSeq };
  }

  /** The server says the log reaches `seq` (a listing's `lastSeq`, a change's ack). */
  announce(seq: number): void {
    if (seq > this.#knownSeq) this.#knownSeq = seq;
  }

  /**
   * Offers an entry; returns the entries it makes releasable, in seq order (itself first if it is
   * next, then the ones it unblocked), or nothing if it fills no gap or was seen before.
   */
  offer(entry: LogEntry): LogEntry[] {
    const seq = entrySeq(entry);
    if (seq <= this.#appliedSeq || this.#ahead.has(seq)) return [];
    this.announce(seq);
    if (seq !== this.#appliedSeq + 1) {
      this.#ahead.set(seq, entry);
      return [];
    }
    const released = [entry];
    this.#appliedSeq = seq;
    for (let next = this.#ahead.get(seq + 1); next; next = this.#ahead.get(this.#appliedSeq + 1)) {
      this.#ahead.delete(this.#appliedSeq + 1);
      released.push(next);
      this.#appliedSeq += 1;
    }
    return released;
  }

  /**
   * Stops expecting more: the user left or was removed (the server sends nothing after that),
   * or the entries announced cannot be read.
   */
  settle(): void {
    this.#ahead.clear();
    this.#knownSeq = this.#appliedSeq;
  }
}
