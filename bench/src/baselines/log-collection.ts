import { COLLECTION_NAMES, INDEXES, type LogDocument, type ServerDialect } from '@chat/storage';
import type { Collection, Db } from 'mongodb';

/**
 * A collection of the benchmark's own shaped as the log: exactly the log's indexes (taken from
 * @chat/storage, so they cannot drift), prepared as the server's dialect stores the log (on
 * FerretDB, its seq-block index).
 */
export async function logShapedCollection(
  db: Db,
  name: string,
  dialect: ServerDialect,
): Promise<Collection<LogDocument>> {
  const collection = db.collection<LogDocument>(name);
  for (const index of INDEXES.filter((index) => index.collection === COLLECTION_NAMES.messages))
    await collection.createIndex(index.key, index.options);
  await dialect.prepareLog(collection, () => {});
  return collection;
}
