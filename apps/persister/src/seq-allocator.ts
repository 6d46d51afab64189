import { LRUCache } from 'lru-cache';

const MAX_CACHED_CONVERSATIONS = 100_000;

/** Many conversations' last seqs at once, possibly lower than the truth, never higher. */
export type LastSeqHints = (conversationIds: readonly string[]) => Promise<ReadonlyMap<string, number>>;

/**
 * Hands out each conversation's next seq. The shard queues make this process the only writer
 * of the conversations it sees, so a local counter is exact; it is loaded on first use and
 * dropped whenever it might be stale (after a failed write, or when this process (re)gains a
 * shard another persister may have written meanwhile).
 *
 * A counter is first loaded from the hints (the log heads in Redis: one command for a whole
 * batch), which lag the log only when a writer died between its insert and raising its heads.
 * A lagging hint hands out a taken seq, the insert meets the unique (conversationId, seq) index,
 * and the counter is then `forget`-ten and loaded exactly, from the log. So a new conversation
 * costs no database read, where each read of the log's last seq scanned the conversation.
 */
export class SeqAllocator {
  readonly #next = new LRUCache<string, number>({ max: MAX_CACHED_CONVERSATIONS });
  readonly #loadLastSeq: (conversationId: string) => Promise<number>;
  readonly #hints: LastSeqHints | undefined;
  /** Conversations whose counter must come from the log itself (a hint was wrong). */
  readonly #exact = new Set<string>();
  #stale = false;

  constructor(loadLastSeq: (conversationId: string) => Promise<number>, hints?: LastSeqHints) {
    this.#loadLastSeq = loadLastSeq;
    this.#hints = hints;
  }

  /** Loads the counters of conversations not cached yet, all at once. */
  async prepare(conversationIds: Iterable<string>): Promise<void> {
    if (this.#stale) {
      this.#stale = false;
      this.#next.clear();
    }
    const missing = [...new Set(conversationIds)].filter((id) => !this.#next.has(id));
    if (missing.length === 0) return;
    const hinted = this.#hints ? missing.filter((id) => !this.#exact.has(id)) : [];
    const exact = missing.filter((id) => !hinted.includes(id));
    const [hints, loaded] = await Promise.all([
      hinted.length > 0 && this.#hints ? this.#hints(hinted) : new Map<string, number>(),
      Promise.all(exact.map(async (id) => [id, await this.#loadLastSeq(id)] as const)),
    ]);
    for (const id of hinted) this.#next.set(id, (hints.get(id) ?? 0) + 1);
    for (const [id, last] of loaded) {
      this.#next.set(id, last + 1);
      this.#exact.delete(id);
    }
  }

  /** The next seq of a prepared conversation. */
  allocate(conversationId: string): number {
    const next = this.#next.get(conversationId);
    if (next === undefined) throw new Error(`seq counter of ${conversationId} was not prepared`);
    this.#next.set(conversationId, next + 1);
    return next;
  }

  /** The allocations from `nextSeq` on were not written: hand them out again. */
  rewind(conversationId: string, nextSeq: number): void {
    const current = this.#next.get(conversationId);
    if (current !== undefined && nextSeq < current) this.#next.set(conversationId, nextSeq);
  }

  /** The allocations of these conversations may not have been written: reload them next time. */
  forget(conversationIds: Iterable<string>): void {
    for (const id of conversationIds) this.#next.delete(id);
  }

  /** This conversation's counter was behind the log (its seq was taken): reload it from the log itself. */
  conflicted(conversationId: string): void {
    this.#next.delete(conversationId);
    this.#exact.add(conversationId);
    if (this.#exact.size > MAX_CACHED_CONVERSATIONS) this.#exact.clear();
  }

  /**
   * Every counter may be stale: reload them all, from the next `prepare` on. Not at once: a
   * batch between its `prepare` and its `allocate`s keeps the counters it prepared (if another
   * persister used those seqs meanwhile, its insert meets the duplicate key and reloads).
   */
  clear(): void {
    this.#stale = true;
  }
}
