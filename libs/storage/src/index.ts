export { type CacheLifetime, cacheLifetime } from './cache-lifetime.js';
export { COLLECTION_NAMES, type Collections, collectionsOf } from './collections.js';
export { ConversationRepository, directKeyOf, membershipIdOf, receiptOf } from './conversations.js';
export type * from './documents.js';
export { isDuplicateKeyError } from './duplicate-key.js';
export { SEQ_BLOCK_FIELD, SEQ_BLOCK_INDEX, SEQ_BLOCK_SIZE, seqBlockOf } from './ferretdb-log-blocks.js';
export { ensureIndexes, INDEXES } from './indexes.js';
export { LIVE_ACCOUNT_TTL_MS, LiveAccounts } from './live-accounts.js';
export { LogHeads } from './log-heads.js';
export { type LogRange, type LogRangeReader, queryLogRanges } from './log-range.js';
export { LogRewrites, type RewriteHead } from './log-rewrites.js';
export {
  MessageRepository,
  type OrderedInsertResult,
  toChangeEntry,
  toChatMessage,
  toEntryDocument,
  toLogEntry,
} from './messages.js';
export { connectMongo, type MongoConnectionOptions, type MongoHandle } from './mongo.js';
export { NotificationRepository } from './notifications.js';
export { OperationDeadlineError, withDeadline } from './operation-deadline.js';
export { everyReply } from './redis-transaction.js';
export { RefreshTokenRepository, RefreshTokenReusedError } from './refresh-tokens.js';
export {
  detectDialect,
  dialectFromBuildInfo,
  FERRETDB_MAX_CONCURRENT_UPDATES,
  ferretDbDialect,
  MONGODB_DIALECT,
  type ServerDialect,
} from './server-dialect.js';
export { sessionEpochOf, toPublicUser, UserRepository } from './users.js';
