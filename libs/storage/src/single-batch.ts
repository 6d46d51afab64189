/**
 * Every multi-document read asks for all its results in the first batch. FerretDB 1.24 keeps a
 * PostgreSQL connection for each open cursor until its getMore, and keeps it even when the
 * client goes away: a few dozen two-batch reads in flight exhausted its pool and deadlocked it
 * (measured by the benchmark). With one batch the server closes the cursor at once. Results here
 * are bounded (ids, members, pages of ≤ 100), far below MongoDB's 16 MB batch limit.
 */
export const SINGLE_BATCH = { batchSize: 100_000 } as const;

/** One batch of exactly `n` results: for reads with a known bound (a page, an id list). */
export function batchOf(n: number): { batchSize: number } {
  return { batchSize: Math.max(1, n) + 1 };
}
