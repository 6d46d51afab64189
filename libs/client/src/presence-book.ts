import type { PresenceChangedFrame } from '@chat/contracts';

export interface Presence {
  userId: string;
  status: 'online' | 'offline' | 'unknown';
  lastSeen?: string;
}

/**
 * The latest presence of each user. Pushes carry a `version` that grows with each of a user's
 * changes and may arrive out of order across nodes: only a higher one replaces what is known.
 * A `presence.query` answer has no version; it stands for users no push told about yet. The
 * `online` list of `session.ready` sets every contact's status as of the connect.
 */
export class PresenceBook {
  readonly #known = new Map<string, Presence & { version: number }>();

  /** Whether the push was newer than what was known (and so taken). */
  takePush(frame: PresenceChangedFrame): boolean {
    const known = this.#known.get(frame.userId);
    if (known && known.version >= frame.version) return false;
    this.#known.set(frame.userId, {
      userId: frame.userId,
      status: frame.status,
      ...(frame.lastSeen ? { lastSeen: frame.lastSeen } : {}),
      version: frame.version,
    });
    return true;
  }

  /**
   * A query answer replaces what an earlier query or snapshot said (the newer read wins: a
   * contact answered `unknown` a moment after the conversation was made is known when asked
   * again), never what a push said: the push has a version, the answer none to compare with.
   */
  takeQuery(answers: Presence[]): void {
    for (const answer of answers) {
      const known = this.#known.get(answer.userId);
      if (!known || known.version === -1) this.#known.set(answer.userId, { ...answer, version: -1 });
    }
  }

  /**
   * `session.ready` lists the contacts online as it was read: each contact is online or offline
   * from it (a lastSeen already known is kept). Versions stay, so a later push still replaces it.
   */
  takeSnapshot(contacts: Iterable<string>, online: readonly string[]): void {
    const onlineNow = new Set(online);
    for (const userId of contacts) {
      const known = this.#known.get(userId);
      const status = onlineNow.has(userId) ? 'online' : 'offline';
      this.#known.set(userId, {
        userId,
        status,
        ...(status === 'offline' && known?.lastSeen ? { lastSeen: known.lastSeen } : {}),
        version: known?.version ?? -1,
      });
    }
  }

  get(userId: string): Presence | undefined {
    const known = this.#known.get(userId);
    if (!known) return undefined;
    const { version: _version, ...presence } = known;
    return presence;
  }
}
