/**
 * A token bucket: `capacity` tokens, refilled at `refillPerS`. Taking from an empty bucket
 * fails. Pure logic with an injectable clock, so it is tested without waiting.
 */
export class TokenBucket {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  constructor(capacity: number, refillPerS: number, now: () => number = performance.now.bind(performance)) {
    this.#capacity = capacity;
    this.#refillPerMs = refillPerS / 1000;
    this.#now = now;
    this.#tokens = capacity;
    this.#updatedAt = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#updatedAt) * this.#refillPerMs);
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
