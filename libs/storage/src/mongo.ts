import { type Db, MongoClient } from 'mongodb';
import { type Collections, collectionsOf } from './collections.js';
import { ensureIndexes } from './indexes.js';
import { detectDialect, type ServerDialect } from './server-dialect.js';

export interface MongoConnectionOptions {
  url: string;
  dbName: string;
  /** Shown in the server's connection list. */
  appName: string;
  maxPoolSize?: number;
  /** Server selection timeout: how long an operation waits for a reachable server. */
  timeoutMs?: number;
  /** An operation without an answer this long fails (its connection is dropped). Default 30 s. */
  socketTimeoutMs?: number;
  /** Hears of one-time work on the stored data (a structured logger's `info`). */
  logger?: { info(fields: object, message: string): void };
}

export interface MongoHandle {
  client: MongoClient;
  db: Db;
  collections: Collections;
  /** What the server is, and how the repositories talk to it. */
  dialect: ServerDialect;
  /**
   * How long a caller that must not stall (the log's writer) waits for an operation: the server
   * selection and socket timeouts and a second more, which the driver's own timeouts should
   * always beat (see `withDeadline`).
   */
  operationDeadlineMs: number;
  /** Resolves when the server answers; rejects when it does not within the timeout. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_SOCKET_TIMEOUT_MS = 30_000;

/** Connects, learns the server's dialect, creates the indexes (idempotent), and hands out typed collections. */
export async function connectMongo(options: MongoConnectionOptions): Promise<MongoHandle> {
  const client = new MongoClient(options.url, {
    appName: options.appName,
    maxPoolSize: options.maxPoolSize ?? 20,
    serverSelectionTimeoutMS: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    socketTimeoutMS: options.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS,
  });
  await client.connect();
  const db = client.db(options.dbName);
  const dialect = await detectDialect(db);
  await ensureIndexes(db);
  const collections = collectionsOf(db);
  await dialect.prepareLog(collections.messages, (documents) =>
    options.logger?.info(
      { documents, server: dialect.server },
      'bringing log entries of an earlier version up to date',
    ),
  );
  return {
    client,
    db,
    collections,
    dialect,
    operationDeadlineMs:
      (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) + (options.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS) + 1_000,
    async ping() {
      await db.command({ ping: 1 });
    },
    close: () => client.close(),
  };
}
