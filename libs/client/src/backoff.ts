/** How long to wait before the next attempt of something that failed (a connect, a resend). */
export interface BackoffOptions {
  /** The first delay (before jitter). */
  initialDelayMs: number;
  /** No delay grows beyond this. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 250, maxDelayMs: 10_000 };

/** Doubling stops here: 2^20 times any sane initial delay is past any cap anyway. */
const MAX_DOUBLINGS = 20;

/**
 * `initialDelayMs * 2^attempt`, capped at `maxDelayMs`, times a random factor in [0.5, 1).
 * The jitter spreads the clients of an edge that died over the other edges' first seconds
 * instead of having all of them knock at the same instant.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const doublings = Math.min(Math.max(attempt, 0), MAX_DOUBLINGS);
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** doublings);
  return base * (0.5 + random() / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
