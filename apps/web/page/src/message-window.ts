import type { CurrentMessage } from '@chat/contracts';

/** Messages a page of history brings, and how many the list shows at first. */
export const PAGE_SIZE = 30;

/**
 * Which messages of a conversation the list shows: the latest page, then one page further back
 * (`history.get` with `beforeSeq`) each time the user scrolls to the top. Where the client holds
 * a message, its copy is shown (it is live: edits, reactions, deletes); a fetched copy only fills
 * in what the client does not hold.
 */
export class MessageWindow {
  readonly #fetched = new Map<string, CurrentMessage>();
  /** The oldest seq shown once the user scrolled back; until then, the latest page. */
  #fromSeq: number | undefined;
  #atStart = false;
  #loading = false;

  /** Whether the first message is shown (nothing older to fetch). */
  get atStart(): boolean {
    return this.#atStart;
  }

  get loading(): boolean {
    return this.#loading;
  }

  /** The messages to show, ascending by seq. */
  visible(held: readonly CurrentMessage[]): CurrentMessage[] {
    const heldIds = new Set(held.map((message) => message.id));
    const merged = [...[...this.#fetched.values()].filter((message) => !heldIds.has(message.id)), ...held].sort(
      (a, b) => a.seq - b.seq,
    );
    const fromSeq = this.#fromSeq;
    return fromSeq === undefined ? merged.slice(-PAGE_SIZE) : merged.filter((message) => message.seq >= fromSeq);
  }

  /**
   * Fetches the page before the oldest message shown (the latest page when none is) and shows it.
   * Resolves false when nothing was asked (a page is on its way, or the start is shown already).
   */
  async loadOlder(
    held: readonly CurrentMessage[],
    fetchPage: (beforeSeq: number | undefined) => Promise<CurrentMessage[]>,
  ): Promise<boolean> {
    if (this.#loading || this.#atStart) return false;
    const oldest = this.visible(held)[0]?.seq;
    this.#loading = true;
    try {
      const page = await fetchPage(oldest);
      for (const message of page) this.#fetched.set(message.id, message);
      if (page.length < PAGE_SIZE) this.#atStart = true;
      this.#fromSeq = Math.min(oldest ?? Number.POSITIVE_INFINITY, ...page.map((message) => message.seq));
      if (!Number.isFinite(this.#fromSeq)) this.#fromSeq = 0;
      return true;
    } finally {
      this.#loading = false;
    }
  }
}
