import pLimit from 'p-limit';

/**
 * Update commands of this process at once. FerretDB 1.24 runs an update by holding a
 * PostgreSQL connection for its query while it opens a transaction on a second one: as many
 * concurrent updates as its connection pool has connections deadlock the whole server (seen
 * here with its default pool of 4). Keeping each process to a few updates at a time, and the
 * FerretDB pool larger than the sum (see scripts/src/services/ferretdb.ts), avoids it; on
 * MongoDB the cost is nil, as updates here are few and batched.
 */
export const MAX_CONCURRENT_UPDATES = 2;

/** Statements per update command: FerretDB 1.24 holds one PostgreSQL connection per statement until the command ends. */
export const UPDATE_STATEMENTS_PER_COMMAND = 8;

const gate = pLimit(MAX_CONCURRENT_UPDATES);

/** Runs an update command through the process-wide gate. */
export function gatedUpdate<T>(update: () => Promise<T>): Promise<T> {
  return gate(update);
}
