import type { AccountVerdict } from '@chat/contracts';
import { LRUCache } from 'lru-cache';
import { sessionEpochOf, type UserRepository } from './users.js';

/** How long an account's standing (exists, and its session epoch) is believed without asking again. */
export const LIVE_ACCOUNT_TTL_MS = 120_000;
const MAX_CACHED = 100_000;

/** What is known of an account: its session epoch, or that it was deleted. */
type Standing = { epoch: number; checkedAtMs: number } | 'deleted';

/**
 * Whether a valid token still stands, asked on every authenticated use (a REST call, a user
 * search, a frame on an open socket): its account must exist, and the token's session epoch must
 * not be below the account's (a password change raises it). A signature alone proves neither.
 * The standing is cached per user (2 min by default), so active users cost the database one
 * lookup each per expiry rather than one per frame; "deleted" is final and cached as long as it
 * stays in the LRU. Auth's notices (`deleted`, `sessionsEnded`) update a node at once; the
 * expiry only bounds a notice that never arrived, and `forgetLive` drops every "live" standing
 * when the notices may have been missed (their subscription was down).
 */
export class LiveAccounts {
  readonly #users: UserRepository;
  readonly #known = new LRUCache<string, Standing>({ max: MAX_CACHED });
  readonly #ttlMs: number;

  constructor(users: UserRepository, ttlMs = LIVE_ACCOUNT_TTL_MS) {
    this.#users = users;
    this.#ttlMs = ttlMs;
  }

  async verdict(userId: string, sessionEpoch: number): Promise<AccountVerdict> {
    let standing = this.#known.get(userId);
    if (standing === undefined || (standing !== 'deleted' && Date.now() - standing.checkedAtMs >= this.#ttlMs)) {
      const user = await this.#users.findById(userId);
      const known = this.#known.get(userId);
      // A notice that arrived during the read is newer than the read.
      standing =
        known === 'deleted' || !user
          ? 'deleted'
          : { epoch: Math.max(sessionEpochOf(user), known?.epoch ?? 0), checkedAtMs: Date.now() };
      this.#known.set(userId, standing);
    }
    if (standing === 'deleted') return 'deleted';
    return sessionEpoch < standing.epoch ? 'ended' : 'live';
  }

  /** Notices may have been missed: ask the database again for every account believed live. */
  forgetLive(): void {
    for (const [userId, standing] of this.#known.entries()) if (standing !== 'deleted') this.#known.delete(userId);
  }

  /** The account was deleted: refuse it from now on, without asking the database. */
  deleted(userId: string): void {
    this.#known.set(userId, 'deleted');
  }

  /** The account's sessions before `sessionEpoch` ended: refuse their tokens from now on. */
  sessionsEnded(userId: string, sessionEpoch: number): void {
    const known = this.#known.get(userId);
    if (known === 'deleted') return;
    // Kept until the usual expiry, then read again (the database has the same epoch or a higher one).
    const checkedAtMs = known?.checkedAtMs ?? Date.now();
    this.#known.set(userId, { epoch: Math.max(sessionEpoch, known?.epoch ?? 0), checkedAtMs });
  }
}
