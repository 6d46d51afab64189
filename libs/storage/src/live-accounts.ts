import { LRUCache } from 'lru-cache';
import type { UserRepository } from './users.js';

/** How long "this account exists" is believed without asking the database again. */
export const LIVE_ACCOUNT_TTL_MS = 5_000;
const MAX_CACHED = 100_000;

/**
 * Whether the account behind a valid token still exists, asked on every authenticated use (a
 * REST call, a user search, a frame on an open socket). A token outlives a deleted account by up
 * to its lifetime, so the signature alone is not enough. "Exists" is cached briefly per user,
 * so a busy socket costs the database one lookup per few seconds; "deleted" is final and
 * cached as long as it stays in the LRU. `deleted(userId)` records a deletion announced by auth,
 * so a node refuses at once instead of at the cache's expiry.
 */
export class LiveAccounts {
  readonly #users: UserRepository;
  readonly #known = new LRUCache<string, boolean>({ max: MAX_CACHED });
  readonly #checkedAt = new Map<string, number>();
  readonly #ttlMs: number;

  constructor(users: UserRepository, ttlMs = LIVE_ACCOUNT_TTL_MS) {
    this.#users = users;
    this.#ttlMs = ttlMs;
  }

  async exists(userId: string): Promise<boolean> {
    const known = this.#known.get(userId);
    if (known === false) return false;
    if (known === true && Date.now() - (this.#checkedAt.get(userId) ?? 0) < this.#ttlMs) return true;
    const exists = (await this.#users.findById(userId)) !== null;
    if (this.#known.get(userId) === false) return false;
    this.#known.set(userId, exists);
    if (exists) this.#checkedAt.set(userId, Date.now());
    else this.#checkedAt.delete(userId);
    if (this.#checkedAt.size > MAX_CACHED) this.#checkedAt.clear();
    return exists;
  }

  /** The account was deleted: refuse it from now on, without asking the database. */
  deleted(userId: string): void {
    this.#known.set(userId, false);
    this.#checkedAt.delete(userId);
  }
}
