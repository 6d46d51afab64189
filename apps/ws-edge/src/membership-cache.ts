import type { ConversationKind } from '@chat/contracts';
import { type CacheLifetime, type ConversationRepository, cacheLifetime } from '@chat/storage';
import { LRUCache } from 'lru-cache';

export interface CachedConversation {
  id: string;
  kind: ConversationKind;
  title?: string;
  /** Groups: their creator, who may rename, remove members and delete any message. */
  ownerId?: string;
  members: ReadonlySet<string>;
  createdAt: Date;
}

const MAX_CACHED = 50_000;
/**
 * A safety net only: every membership change invalidates the entry on every node at once, and a
 * node whose deliveries queue was lost (so it may have missed some) drops them all. Short, it
 * cost every active conversation two queries per expiry on every node (docs/benchmarks.md row 17).
 */
const TTL_MS = 10 * 60_000;

/**
 * Conversation membership without a database round trip per message. Entries are dropped on
 * every node when a `membership.changed` event arrives; a load that raced with such an event
 * is not kept. Concurrent reads of one conversation share one query, and loads of one
 * conversation run one at a time, newest last: a load asked for after an invalidation waits for
 * the one in flight, so callers are answered in the order they asked (one client's concurrent
 * sends keep their order) and an older result never lands after a newer one.
 *
 * In the last quarter of its life an entry is loaded again behind the caller that finds it, so
 * an active conversation's messages never wait for the safety net's reload: conversations cached
 * together (a node's start, a burst of traffic) expired together, and their messages queued
 * behind a wave of queries. Expiries are spread within ±10% of the TTL for the same reason. An
 * expired or invalidated entry is gone, and its caller waits for the load.
 */
export class MembershipCache {
  readonly #repository: ConversationRepository;
  readonly #entries = new LRUCache<string, { value: CachedConversation | null } & CacheLifetime>({ max: MAX_CACHED });
  readonly #loading = new Map<string, { generation: number; load: Promise<CachedConversation | null> }>();
  readonly #generations = new Map<string, number>();

  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(repository: ConversationRepository, ttlMs = TTL_MS, now: () => number = Date.now) {
    this.#repository = repository;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** The conversation and its members, or null if there is no such conversation. */
  get(conversationId: string): Promise<CachedConversation | null> {
    const cached = this.#entries.get(conversationId);
    const now = this.#now();
    if (cached && now < cached.expiresAtMs) {
      if (now >= cached.refreshAtMs && !this.#loading.has(conversationId))
        this.#loadAgain(conversationId).catch(() => undefined);
      return Promise.resolve(cached.value);
    }
    return this.#loadAgain(conversationId);
  }

  /** Loads the conversation (after any load in flight) and keeps it, unless invalidated meanwhile. */
  #loadAgain(conversationId: string): Promise<CachedConversation | null> {
    const generation = this.#generations.get(conversationId) ?? 0;
    const inFlight = this.#loading.get(conversationId);
    if (inFlight?.generation === generation) return inFlight.load;
    // An older load is in flight (invalidated since it started): this one runs after it.
    const previous = inFlight?.load.catch(() => undefined) ?? Promise.resolve();
    const load: Promise<CachedConversation | null> = previous
      .then(() => this.#load(conversationId))
      .then((value) => {
        if ((this.#generations.get(conversationId) ?? 0) === generation)
          this.#entries.set(conversationId, { value, ...cacheLifetime(this.#now(), this.#ttlMs) });
        return value;
      })
      .finally(() => {
        if (this.#loading.get(conversationId)?.load === load) this.#loading.delete(conversationId);
      });
    this.#loading.set(conversationId, { generation, load });
    return load;
  }

  /** Reloads from the database, bypassing and refreshing the cache. */
  async fresh(conversationId: string): Promise<CachedConversation | null> {
    this.invalidate(conversationId);
    return this.get(conversationId);
  }

  invalidate(conversationId: string): void {
    this.#generations.set(conversationId, (this.#generations.get(conversationId) ?? 0) + 1);
    this.#entries.delete(conversationId);
    if (this.#generations.size > MAX_CACHED) this.#generations.clear();
  }

  /** Every entry, and every load in flight, is dropped: the invalidations may have been missed. */
  invalidateAll(): void {
    for (const conversationId of [...this.#entries.keys(), ...this.#loading.keys()]) this.invalidate(conversationId);
  }

  async #load(conversationId: string): Promise<CachedConversation | null> {
    const [conversation, members] = await Promise.all([
      this.#repository.findById(conversationId),
      this.#repository.membersOf([conversationId]),
    ]);
    if (!conversation) return null;
    return {
      id: conversation._id,
      kind: conversation.kind,
      ...(conversation.title === undefined ? {} : { title: conversation.title }),
      ...(conversation.kind === 'group' ? { ownerId: conversation.createdBy } : {}),
      members: new Set(members.get(conversationId) ?? []),
      createdAt: conversation.createdAt,
    };
  }
}
