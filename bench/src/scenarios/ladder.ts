/**
 * The offered rates of an end-to-end run: roughly ×1.5 per step from 50 msg/s, with 200 on the
 * ladder because a target is stated at 200. It only ends where the system fails (p99 over
 * 250 ms, a loss, an error) or the load generator cannot offer more; the top is far beyond
 * anything two cores carry, so it is never the reason a run stops.
 */
export const RATE_LADDER = [
  50, 100, 200, 300, 400, 600, 800, 1_000, 1_500, 2_000, 3_000, 4_000, 6_000, 8_000, 12_000, 16_000, 24_000, 32_000,
  48_000, 64_000,
] as const;

/** The ladder from the first rung ≥ `from`. */
export function ladderFrom(from: number): number[] {
  return RATE_LADDER.filter((rate) => rate >= from);
}
