/** Each cached entry is believed for the TTL times a factor drawn from this range. */
const TTL_JITTER = [0.9, 1.1] as const;
/** In the last quarter of its life, an entry is read again behind the caller that finds it. */
const REFRESH_AHEAD_SHARE = 0.25;

/** When a cached entry is read again in the background, and when it stops being believed. */
export interface CacheLifetime {
  refreshAtMs: number;
  expiresAtMs: number;
}

/**
 * The lifetime of an entry read at `nowMs`, for the caches that an active user's frames go
 * through (account standings, conversation members). Expiries are spread within ±10% of the
 * TTL, and the last quarter is for reading it again behind the caller that finds it: entries
 * cached together (a warm-up, a node's start) otherwise expired together, and the frames after
 * them queued behind a wave of lookups.
 */
export function cacheLifetime(nowMs: number, ttlMs: number): CacheLifetime {
  const [low, high] = TTL_JITTER;
  const expiresAtMs = nowMs + ttlMs * (low + Math.random() * (high - low));
  return { refreshAtMs: expiresAtMs - ttlMs * REFRESH_AHEAD_SHARE, expiresAtMs };
}
