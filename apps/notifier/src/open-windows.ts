/**
 * A job can start this much before its due time by the scheduler's clock: the clocks of the
 * hosts that add and run jobs (BullMQ promotes a delayed job by the runner's clock) agree within it.
 */
export const CLOCK_MARGIN_MS = 500;

/** Expired windows are swept once the map has grown to this size, and then to twice what is left. */
const FIRST_SWEEP_AT = 1_024;

/**
 * The windows whose job this notifier created, until shortly before the job is due. A message
 * added to the pending set of such a window before then is certain to be collected by that job,
 * which cannot have claimed yet, so the window needs no `queue.add`: during a backlog every
 * written batch touches most conversations, and adding a job that BullMQ deduplicates costs a
 * Lua script in Redis and the job's encoding here, per window and batch.
 *
 * Only jobs this notifier created count, not ones BullMQ deduplicated into another's job (whose
 * due time it does not know). A job removed by hand from the queue board leaves its window's
 * later messages waiting until the window would have closed and a message after it.
 */
export class OpenWindows {
  readonly #dueAtMs = new Map<string, number>();
  #sweepAt = FIRST_SWEEP_AT;

  /** Whether the window's job is certain not to have started by `nowMs`. */
  isOpen(key: string, nowMs: number): boolean {
    const dueAtMs = this.#dueAtMs.get(key);
    if (dueAtMs === undefined) return false;
    if (nowMs < dueAtMs - CLOCK_MARGIN_MS) return true;
    this.#dueAtMs.delete(key);
    return false;
  }

  /** Records a job this notifier created, due no earlier than `dueAtMs`. */
  opened(key: string, dueAtMs: number, nowMs: number): void {
    this.#dueAtMs.set(key, dueAtMs);
    if (this.#dueAtMs.size < this.#sweepAt) return;
    for (const [other, due] of this.#dueAtMs) if (nowMs >= due - CLOCK_MARGIN_MS) this.#dueAtMs.delete(other);
    this.#sweepAt = Math.max(FIRST_SWEEP_AT, 2 * this.#dueAtMs.size);
  }

  get size(): number {
    return this.#dueAtMs.size;
  }
}
