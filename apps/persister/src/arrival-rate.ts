/** How long each measurement of the arrival rate lasts. */
const WINDOW_MS = 100;

/**
 * Messages per millisecond arriving lately, measured over the last whole window: what tells the
 * batcher whether waiting for more would gather any. A window with no arrivals reads as 0.
 */
export class ArrivalRate {
  readonly #now: () => number;
  #windowStart: number;
  #count = 0;
  #perMs = 0;

  constructor(now: () => number = performance.now.bind(performance)) {
    this.#now = now;
    this.#windowStart = now();
  }

  arrived(): void {
    this.#roll();
    this.#count += 1;
  }

  perMs(): number {
    this.#roll();
    return this.#perMs;
  }

  #roll(): void {
    const now = this.#now();
    const elapsed = now - this.#windowStart;
    if (elapsed < WINDOW_MS) return;
    // A gap longer than one window means the window before now saw nothing.
    this.#perMs = elapsed < 2 * WINDOW_MS ? this.#count / elapsed : 0;
    this.#windowStart = now;
    this.#count = 0;
  }
}
