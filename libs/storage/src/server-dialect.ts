import type { Collection, Db, Document, Filter, FindOptions, WithId } from 'mongodb';
import pLimit from 'p-limit';
import type { LogDocument } from './documents.js';
import { backfillSeqBlocks, blockLogRanges, withSeqBlock } from './ferretdb-log-blocks.js';
import { type LogRangeReader, queryLogRanges } from './log-range.js';

/**
 * What differs between the servers the repositories run on. Production runs MongoDB 7, where
 * every method here is the plain driver call; the tests and `npm start` run FerretDB 1.24 on
 * PostgreSQL, whose gaps each FerretDB method answers, naming the behaviour it works around.
 * Chosen once per connection from what the server says it is (`buildInfo`).
 */
export interface ServerDialect {
  readonly server: 'mongodb' | 'ferretdb';
  /** The documents whose `field` equals one of `values`. */
  findIn<T extends Document>(collection: Collection<T>, field: string, values: readonly string[]): Promise<WithId<T>[]>;
  /**
   * One of `values` that no document's `field` equals, or undefined when all are there. Stops
   * at the first absent value, so a list of unknown ids costs a bounded number of queries.
   */
  firstAbsent<T extends Document>(
    collection: Collection<T>,
    field: string,
    values: readonly string[],
  ): Promise<string | undefined>;
  /** Cursor options for a multi-document read of at most `limit` results (unbounded when omitted). */
  readOptions(limit?: number): FindOptions;
  /** Runs one update command. */
  update<R>(command: () => Promise<R>): Promise<R>;
  /** Documents per ordered insert command; longer lists are sent as several, one after another. */
  readonly orderedInsertChunk: number;
  /** How ranges of the log are read. */
  logRanges(log: Collection<LogDocument>): LogRangeReader;
  /** A log document as this server stores it (FerretDB adds what its range reads need). */
  toStored<T extends LogDocument>(document: T): T;
  /** Brings a log written by an earlier version up to what `logRanges` reads; `onWork` hears of any. */
  prepareLog(log: Collection<LogDocument>, onWork: (documents: number) => void): Promise<void>;
}

export const MONGODB_DIALECT: ServerDialect = {
  server: 'mongodb',
  findIn: (collection, field, values) => collection.find(inFilter(field, values)).toArray(),
  firstAbsent: async (collection, field, values) => {
    const found = await collection.find(inFilter(field, values), { projection: { [field]: 1 } }).toArray();
    const present = new Set(found.map((document) => String(document[field])));
    return values.find((value) => !present.has(value));
  },
  readOptions: () => ({}),
  update: (command) => command(),
  orderedInsertChunk: Number.POSITIVE_INFINITY,
  logRanges: (log) => queryLogRanges(log),
  toStored: (document) => document,
  prepareLog: async () => {},
};

/** FerretDB 1.24 lookups of one id list running at once (see `findIn`). */
const FERRETDB_LOOKUP_CONCURRENCY = 16;
/** FerretDB 1.24 update commands of this process at once (see `update`). */
export const FERRETDB_MAX_CONCURRENT_UPDATES = 2;
/** A read with no bound still gets every result in its first batch (see `readOptions`). */
const FERRETDB_UNBOUNDED_BATCH = 100_000;

/** A new FerretDB dialect: each holds the update gate of the connection it was chosen for. */
export function ferretDbDialect(): ServerDialect {
  const updates = pLimit(FERRETDB_MAX_CONCURRENT_UPDATES);
  const readAll = { batchSize: FERRETDB_UNBOUNDED_BATCH };
  return {
    server: 'ferretdb',
    // One equality query per value, a few at a time (see findEachEqual).
    findIn: (collection, field, values) => findEachEqual(collection, field, values, readAll),
    // The same equality lookups (see findEachEqual), each lane stopping once one value is absent.
    firstAbsent: (collection, field, values) => firstAbsentByEquality(collection, field, values),
    /**
     * Every result in the first batch. FerretDB keeps a PostgreSQL connection for each open
     * cursor until its getMore, even when the client goes away: a few dozen two-batch reads in
     * flight exhausted its pool and deadlocked it (measured by the benchmark). With one batch
     * the server closes the cursor at once. Results here are bounded (ids, members, pages of
     * ≤ 100), far below the 16 MB batch limit.
     */
    readOptions: (limit) => (limit === undefined ? readAll : { batchSize: Math.max(1, limit) + 1 }),
    /**
     * At most two at a time per process. FerretDB runs an update by holding a PostgreSQL
     * connection for its query while it opens a transaction on a second one: as many
     * concurrent updates as its pool has connections deadlock the whole server (seen with its
     * default pool of 4). The pool is sized above the sum (scripts/src/services/ferretdb.ts).
     */
    update: (command) => updates(command),
    /**
     * FerretDB splits an insert into chunks of 100 itself and, with `ordered: true`, stops only
     * the chunk that failed, then writes the following ones (measured: 200 documents with a
     * duplicate at index 1 → 101 written). Sending chunks of 100 one after another restores
     * MongoDB's "stops at the first failure" for the whole list.
     */
    orderedInsertChunk: 100,
    // Its range filters run in Go over the whole conversation: read by blocks (ferretdb-log-blocks.ts).
    logRanges: (log) => blockLogRanges(log),
    toStored: (document) => withSeqBlock(document),
    prepareLog: (log, onWork) => backfillSeqBlocks(log, (command) => updates(command), onWork),
  };
}

/** The dialect of a server, from its `buildInfo` answer: FerretDB names itself there. */
export function dialectFromBuildInfo(buildInfo: Document): ServerDialect {
  return typeof buildInfo.ferretdbVersion === 'string' ? ferretDbDialect() : MONGODB_DIALECT;
}

export async function detectDialect(db: Db): Promise<ServerDialect> {
  return dialectFromBuildInfo(await db.admin().command({ buildInfo: 1 }));
}

/**
 * One equality query per value, a few at a time. FerretDB turns an equality filter into an
 * indexed PostgreSQL query, while `{$in: [...]}` is evaluated in Go over the whole collection:
 * measured on 20,000 documents, 934 ms for `$in` of 256 ids against about 10 ms per equality
 * lookup.
 */
async function findEachEqual<T extends Document>(
  collection: Collection<T>,
  field: string,
  values: readonly string[],
  options: FindOptions,
): Promise<WithId<T>[]> {
  const unique = [...new Set(values)];
  const results: WithId<T>[] = [];
  let next = 0;
  const lane = async () => {
    while (next < unique.length) {
      const value = unique[next++];
      results.push(...(await collection.find({ [field]: value } as Filter<T>, options).toArray()));
    }
  };
  await Promise.all(Array.from({ length: Math.min(FERRETDB_LOOKUP_CONCURRENCY, unique.length) }, lane));
  return results;
}

async function firstAbsentByEquality<T extends Document>(
  collection: Collection<T>,
  field: string,
  values: readonly string[],
): Promise<string | undefined> {
  const unique = [...new Set(values)];
  let absent: string | undefined;
  let next = 0;
  const lane = async () => {
    while (absent === undefined && next < unique.length) {
      const value = unique[next++] as string;
      const hit = await collection.findOne({ [field]: value } as Filter<T>, { projection: { [field]: 1 } });
      if (hit === null) absent ??= value;
    }
  };
  await Promise.all(Array.from({ length: Math.min(FERRETDB_LOOKUP_CONCURRENCY, unique.length) }, lane));
  return absent;
}

function inFilter<T extends Document>(field: string, values: readonly string[]): Filter<T> {
  return { [field]: { $in: [...new Set(values)] } } as Filter<T>;
}
