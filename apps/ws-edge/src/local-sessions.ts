import type { Session } from './session.js';

/** The sessions on this node, by user: where a push for a user goes. */
export class LocalSessions {
  readonly #byUser = new Map<string, Set<Session>>();
  #count = 0;

  add(session: Session): void {
    let sessions = this.#byUser.get(session.userId);
    if (!sessions) {
      sessions = new Set();
      this.#byUser.set(session.userId, sessions);
    }
    if (!sessions.has(session)) {
      sessions.add(session);
      this.#count += 1;
    }
  }

  remove(session: Session): void {
    const sessions = this.#byUser.get(session.userId);
    if (!sessions?.delete(session)) return;
    this.#count -= 1;
    if (sessions.size === 0) this.#byUser.delete(session.userId);
  }

  of(userId: string): ReadonlySet<Session> | undefined {
    return this.#byUser.get(userId);
  }

  countOf(userId: string): number {
    return this.#byUser.get(userId)?.size ?? 0;
  }

  get size(): number {
    return this.#count;
  }

  get userCount(): number {
    return this.#byUser.size;
  }

  *all(): IterableIterator<Session> {
    for (const sessions of this.#byUser.values()) yield* sessions;
  }
}
