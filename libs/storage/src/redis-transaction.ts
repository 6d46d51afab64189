/**
 * The replies of a Redis transaction (`multi().exec()`) when every command in it succeeded.
 * Throws when the transaction was discarded or any command failed: a Redis that refuses writes
 * (OOM under noeviction) still answers reads, so checking only the reply a caller reads would
 * let a refused write pass unnoticed. `what` names the transaction in the error.
 */
export function everyReply(results: Array<[Error | null, unknown]> | null, what: string): unknown[] {
  if (!results) throw new Error(`${what}: the transaction was discarded`);
  for (const [error] of results) if (error) throw error;
  return results.map(([, reply]) => reply);
}
