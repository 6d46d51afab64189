import type { Session } from './session.js';

/**
 * Who on this node should hear about whom: a session watches every member of its user's
 * conversations, so a `presence.changed` for a user goes to exactly the local sessions that
 * share a conversation with them. Built from `session.ready`, kept current by
 * `membership.changed`; no database query per presence event.
 *
 * A session is registered before its `session.ready` snapshot is read, so a membership change
 * can arrive between the two, and the snapshot may predate it. Changes that arrive while a
 * session is opening are kept for it and replayed on top of its snapshot when it is tracked.
 */
export class ContactIndex {
  readonly #membersBySession = new Map<Session, Map<string, ReadonlySet<string>>>();
  readonly #sessionsByConversation = new Map<string, Set<Session>>();
  readonly #watchers = new Map<string, Set<Session>>();
  readonly #watchedBy = new Map<Session, Set<string>>();
  /** Sessions opened and not yet tracked, with the membership changes seen meanwhile. */
  readonly #opening = new Map<Session, Array<{ conversationId: string; members: ReadonlySet<string> }>>();

  /** A session is registered; its snapshot is being read. */
  opened(session: Session): void {
    this.#opening.set(session, []);
  }

  /** Starts tracking a session with its user's conversations and their members. */
  track(session: Session, conversations: ReadonlyArray<{ id: string; members: readonly string[] }>): void {
    const byConversation = new Map<string, ReadonlySet<string>>();
    for (const conversation of conversations) {
      byConversation.set(conversation.id, new Set(conversation.members));
      this.#indexConversation(conversation.id, session);
    }
    this.#membersBySession.set(session, byConversation);
    for (const change of this.#opening.get(session) ?? []) this.#apply(session, change.conversationId, change.members);
    this.#opening.delete(session);
    this.#rewatch(session);
  }

  forget(session: Session): void {
    this.#opening.delete(session);
    const byConversation = this.#membersBySession.get(session);
    if (!byConversation) return;
    for (const conversationId of byConversation.keys()) {
      const sessions = this.#sessionsByConversation.get(conversationId);
      sessions?.delete(session);
      if (sessions?.size === 0) this.#sessionsByConversation.delete(conversationId);
    }
    this.#membersBySession.delete(session);
    for (const userId of this.#watchedBy.get(session) ?? []) this.#unwatch(userId, session);
    this.#watchedBy.delete(session);
  }

  /**
   * A conversation's members are now `members`. `sessionsOfMembers` are this node's sessions of
   * those members (the ones who may have just joined it).
   */
  updateConversation(conversationId: string, members: readonly string[], sessionsOfMembers: Iterable<Session>): void {
    const memberSet = new Set(members);
    for (const changes of this.#opening.values()) changes.push({ conversationId, members: memberSet });
    const affected = new Set<Session>([
      ...(this.#sessionsByConversation.get(conversationId) ?? []),
      ...sessionsOfMembers,
    ]);
    for (const session of affected) {
      if (!this.#membersBySession.has(session)) continue;
      this.#apply(session, conversationId, memberSet);
      this.#rewatch(session);
    }
  }

  /** Records a conversation's members for one tracked session (dropping it if the user left). */
  #apply(session: Session, conversationId: string, members: ReadonlySet<string>): void {
    const byConversation = this.#membersBySession.get(session);
    if (!byConversation) return;
    if (members.has(session.userId)) {
      byConversation.set(conversationId, members);
      this.#indexConversation(conversationId, session);
    } else {
      byConversation.delete(conversationId);
      this.#sessionsByConversation.get(conversationId)?.delete(session);
    }
  }

  /** Whether this session's user shares a conversation with `userId` (as this node knows it). */
  shares(session: object, userId: string): boolean {
    return this.#watchedBy.get(session as Session)?.has(userId) ?? false;
  }

  /** The users this session's user shares a conversation with (themselves excluded). */
  contactsOf(session: Session): string[] {
    return [...(this.#watchedBy.get(session) ?? [])];
  }

  /** The local sessions that share a conversation with `userId`. */
  watchersOf(userId: string): ReadonlySet<Session> | undefined {
    return this.#watchers.get(userId);
  }

  #indexConversation(conversationId: string, session: Session): void {
    let sessions = this.#sessionsByConversation.get(conversationId);
    if (!sessions) {
      sessions = new Set();
      this.#sessionsByConversation.set(conversationId, sessions);
    }
    sessions.add(session);
  }

  #rewatch(session: Session): void {
    const next = new Set<string>();
    for (const members of this.#membersBySession.get(session)?.values() ?? []) {
      for (const userId of members) if (userId !== session.userId) next.add(userId);
    }
    const previous = this.#watchedBy.get(session) ?? new Set<string>();
    for (const userId of previous) if (!next.has(userId)) this.#unwatch(userId, session);
    for (const userId of next) {
      if (previous.has(userId)) continue;
      let watchers = this.#watchers.get(userId);
      if (!watchers) {
        watchers = new Set();
        this.#watchers.set(userId, watchers);
      }
      watchers.add(session);
    }
    this.#watchedBy.set(session, next);
  }

  #unwatch(userId: string, session: Session): void {
    const watchers = this.#watchers.get(userId);
    watchers?.delete(session);
    if (watchers?.size === 0) this.#watchers.delete(userId);
  }
}
