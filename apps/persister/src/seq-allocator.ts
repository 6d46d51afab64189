import { LRUCache } from 'lru-cache';

const MAX_CACHED_CONVERSATIONS = 100_000;

/**
 * Hands out each conversation's next seq. The shard queues make this process the only writer
 * of the conversations it sees, so a local counter is exact; it is loaded from the database
 * on first use and dropped whenever it might be stale (after a failed write, or when this
 * process (re)gains a shard another persister may have written meanwhile).
 */
export class SeqAllocator {
  readonly #next = new LRUCache<string, number>({ max: MAX_CACHED_CONVERSATIONS });
  readonly #loadLastSeq: (conversationId: string) => Promise<number>;
  #stale = false;

  constructor(loadLastSeq: (conversationId: string) => Promise<number>) {
    this.#loadLastSeq = loadLastSeq;
  }

  /** Loads the counters of conversations not cached yet, all at once. */
  async prepare(conversationIds: Iterable<string>): Promise<void> {
    if (this.#stale) {
      this.#stale = false;
      this.#next.clear();
    }
    const missing = [...new Set(conversationIds)].filter((id) => !this.#next.has(id));
    const loaded = await Promise.all(missing.map(async (id) => [id, (await this.#loadLastSeq(id)) + 1] as const));
    for (const [id, next] of loaded) this.#next.set(id, next);
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

  /**
   * Every counter may be stale: reload them all, from the next `prepare` on. Not at once: a
   * batch between its `prepare` and its `allocate`s keeps the counters it prepared (if another
   * persister used those seqs meanwhile, its insert meets the duplicate key and reloads).
   */
  clear(): void {
    this.#stale = true;
  }
}
