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

/**
 * The rate of one more step between the last sustained rate and the one that failed, when they
 * are far enough apart to matter: a ×1.5 ladder alone reads a maximum up to a third below what
 * the system carries (2,000 sustained and 3,000 failed says nothing of 2,500). Rounded to two
 * significant figures.
 */
export function refinementRate(sustained: number, failed: number): number | undefined {
  if (sustained <= 0 || failed <= sustained * 1.2) return undefined;
  const rate = Number(((sustained + failed) / 2).toPrecision(2));
  return rate > sustained && rate < failed ? rate : undefined;
}
