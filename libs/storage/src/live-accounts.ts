import type { AccountVerdict } from '@chat/contracts';
import { LRUCache } from 'lru-cache';
import { type CacheLifetime, cacheLifetime } from './cache-lifetime.js';
import { sessionEpochOf, type UserRepository } from './users.js';

/** How long an account's standing (exists, and its session epoch) is believed without asking again. */
export const LIVE_ACCOUNT_TTL_MS = 120_000;
const MAX_CACHED = 100_000;

/**
 * What is known of an account: its session epoch, until when it is believed, and from when a
 * frame reads it again in the background; or that it was deleted.
 */
type Standing = ({ epoch: number } & CacheLifetime) | 'deleted';

/**
 * Whether a valid token still stands, asked on every authenticated use (a REST call, a user
 * search, a frame on an open socket): its account must exist, and the token's session epoch must
 * not be below the account's (a password change raises it). A signature alone proves neither.
 * The standing is cached per user (2 min by default), so active users cost the database one
 * lookup each per expiry rather than one per frame; "deleted" is final and cached as long as it
 * stays in the LRU. Auth's notices (`deleted`, `sessionsEnded`) update a node at once; the
 * expiry only bounds a notice that never arrived, and `forgetLive` drops every "live" standing
 * when the notices may have been missed (their subscription was down).
 *
 * In the last quarter of its life a standing is read again behind the frame that finds it, one
 * read per user at a time, so an active user's frames never wait for the database: the
 * standings of users who connected together all expired together, and their frames queued
 * behind a wave of lookups. Each expiry is drawn within ±10% of the TTL, so such waves spread
 * out. Past its expiry (a user idle that long, or a TTL of 0) the frame waits for the read, so
 * the expiry still bounds a lost notice: the first frame after it is judged by the database.
 */
export class LiveAccounts {
  readonly #users: UserRepository;
  readonly #known = new LRUCache<string, Standing>({ max: MAX_CACHED });
  readonly #reading = new Map<string, Promise<Standing>>();
  /** Raised by `forgetLive`: a read that began before it may predate a missed notice, and is not kept. */
  #generation = 0;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(users: UserRepository, ttlMs = LIVE_ACCOUNT_TTL_MS, now: () => number = Date.now) {
    this.#users = users;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  async verdict(userId: string, sessionEpoch: number): Promise<AccountVerdict> {
    let standing = this.#known.get(userId);
    const now = this.#now();
    if (standing === undefined || (standing !== 'deleted' && now >= standing.expiresAtMs)) {
      standing = await this.#read(userId);
    } else if (standing !== 'deleted' && now >= standing.refreshAtMs) {
      // Read again behind the frame; a failed read leaves the standing as it was, to expire.
      this.#read(userId).catch(() => undefined);
    }
    if (standing === 'deleted') return 'deleted';
    return sessionEpoch < standing.epoch ? 'ended' : 'live';
  }

  /** Reads a user's standing from the database, one read per user at a time, and keeps it. */
  #read(userId: string): Promise<Standing> {
    const inFlight = this.#reading.get(userId);
    if (inFlight) return inFlight;
    const generation = this.#generation;
    const read = this.#users
      .findById(userId)
      .then((user) => {
        const known = this.#known.get(userId);
        // A notice that arrived during the read is newer than the read.
        const standing: Standing =
          known === 'deleted' || !user
            ? 'deleted'
            : { epoch: Math.max(sessionEpochOf(user), known?.epoch ?? 0), ...cacheLifetime(this.#now(), this.#ttlMs) };
        if (generation === this.#generation) this.#known.set(userId, standing);
        return standing;
      })
      .finally(() => {
        if (this.#reading.get(userId) === read) this.#reading.delete(userId);
      });
    this.#reading.set(userId, read);
    return read;
  }

  /** Notices may have been missed: ask the database again for every account believed live. */
  forgetLive(): void {
    this.#generation += 1;
    this.#reading.clear();
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
    const lifetime: CacheLifetime = known
      ? { refreshAtMs: known.refreshAtMs, expiresAtMs: known.expiresAtMs }
      : cacheLifetime(this.#now(), this.#ttlMs);
    this.#known.set(userId, { epoch: Math.max(sessionEpoch, known?.epoch ?? 0), ...lifetime });
  }
}
