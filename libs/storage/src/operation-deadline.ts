/** A database operation that neither answered nor failed in time. */
export class OperationDeadlineError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not settle within ${ms} ms`);
    this.name = 'OperationDeadlineError';
  }
}

/**
 * Fails `operation` once it has not settled after `ms` (never with `Infinity`). Why: with the
 * mongodb driver 7.9 against a FerretDB SIGKILLed during an insert, the `insertMany` sometimes
 * never settled (over 90 s, with `socketTimeoutMS` at 5 s), and the persister, which writes one
 * batch at a time, stopped writing for good (database-outage.test.ts under load, 1 run in 3). The
 * operation is left to end on its own: every write is idempotent (derived ids, unique indexes),
 * so one that lands late is met as a duplicate by its retry.
 */
export function withDeadline<T>(operation: Promise<T>, ms: number, what: string): Promise<T> {
  if (!Number.isFinite(ms)) return operation;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OperationDeadlineError(what, ms)), ms);
  });
  // Settled late, after the deadline won: nobody waits for it any more.
  operation.catch(() => undefined);
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}
