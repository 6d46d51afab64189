/** Someone shows as typing this long after their last `typing` push (the server relays one a second at most). */
export const TYPING_SHOWN_MS = 3_000;
/** The client sends `typing` at most this often per conversation, as the server relays no more. */
export const TYPING_SEND_INTERVAL_MS = 1_000;

/** Who is typing where, from the pushes, and when this user may say they type again. */
export class TypingTracker {
  /** conversationId → userId → when their last `typing` came. */
  readonly #seen = new Map<string, Map<string, number>>();
  readonly #sentAt = new Map<string, number>();

  seen(conversationId: string, userId: string, nowMs = Date.now()): void {
    let users = this.#seen.get(conversationId);
    if (!users) {
      users = new Map();
      this.#seen.set(conversationId, users);
    }
    users.set(userId, nowMs);
  }

  /** A message from the user ends their typing. */
  stopped(conversationId: string, userId: string): void {
    this.#seen.get(conversationId)?.delete(userId);
  }

  /** The users typing in a conversation now. */
  typing(conversationId: string, nowMs = Date.now()): string[] {
    const users = this.#seen.get(conversationId);
    if (!users) return [];
    for (const [userId, at] of users) if (nowMs - at > TYPING_SHOWN_MS) users.delete(userId);
    return [...users.keys()];
  }

  /** Whether to send `typing` now (and, if so, notes it). */
  shouldSend(conversationId: string, nowMs = Date.now()): boolean {
    if (nowMs - (this.#sentAt.get(conversationId) ?? Number.NEGATIVE_INFINITY) < TYPING_SEND_INTERVAL_MS) return false;
    this.#sentAt.set(conversationId, nowMs);
    return true;
  }
}
