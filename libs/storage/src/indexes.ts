import type { CreateIndexesOptions, Db, IndexSpecification } from 'mongodb';
import { COLLECTION_NAMES } from './collections.js';

interface IndexDefinition {
  collection: string;
  key: IndexSpecification;
  options: CreateIndexesOptions & { name: string };
}

/**
 * Every index of the system. No TTL and no partial index: FerretDB has neither, so expiry is
 * enforced in code. `sparse` is kept where MongoDB needs it; FerretDB ignores it, and there a
 * missing field never conflicts in a unique index anyway.
 */
export const INDEXES: IndexDefinition[] = [
  { collection: COLLECTION_NAMES.users, key: { login: 1 }, options: { name: 'login_unique', unique: true } },
  { collection: COLLECTION_NAMES.refreshTokens, key: { familyId: 1 }, options: { name: 'family' } },
  {
    collection: COLLECTION_NAMES.refreshTokens,
    key: { rotatedFrom: 1 },
    options: { name: 'rotated_from_unique', unique: true, sparse: true },
  },
  { collection: COLLECTION_NAMES.refreshTokens, key: { expiresAt: 1 }, options: { name: 'expires_at' } },
  {
    collection: COLLECTION_NAMES.conversations,
    key: { directKey: 1 },
    options: { name: 'direct_key_unique', unique: true, sparse: true },
  },
  {
    collection: COLLECTION_NAMES.memberships,
    key: { conversationId: 1, userId: 1 },
    options: { name: 'conversation_user_unique', unique: true },
  },
  { collection: COLLECTION_NAMES.memberships, key: { userId: 1 }, options: { name: 'user' } },
  // Serves both "page forward from seq N" and "latest first": an index is walked either way.
  {
    collection: COLLECTION_NAMES.messages,
    key: { conversationId: 1, seq: 1 },
    options: { name: 'conversation_seq_unique', unique: true },
  },
  {
    collection: COLLECTION_NAMES.messages,
    key: { senderId: 1, conversationId: 1, clientMsgId: 1 },
    options: { name: 'sender_conversation_client_msg_unique', unique: true },
  },
  // The entries about a message (edits, deletes, reactions): folded into a page of history.
  {
    collection: COLLECTION_NAMES.messages,
    key: { messageId: 1 },
    options: { name: 'message_entries', sparse: true },
  },
  // Notifications of a message: their previews are erased with it.
  { collection: COLLECTION_NAMES.notifications, key: { messageIds: 1 }, options: { name: 'message_ids' } },
  {
    collection: COLLECTION_NAMES.notifications,
    key: { userId: 1, createdAt: 1 },
    options: { name: 'user_created_at' },
  },
];

/**
 * Indexes an older version created and this one replaces. `sender_client_msg_unique` was
 * (senderId, clientMsgId): it refused a reused clientMsgId in a second conversation (bug 11).
 */
export const DROPPED_INDEXES: { collection: string; name: string }[] = [
  { collection: COLLECTION_NAMES.messages, name: 'sender_client_msg_unique' },
];

/**
 * Creates every index, one call per index: FerretDB 1.24 drops the connection when a single
 * createIndexes command names several indexes that all exist already.
 */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const index of DROPPED_INDEXES) await dropIndexIfPresent(db, index.collection, index.name);
  for (const index of INDEXES) {
    await db.collection(index.collection).createIndex(index.key, index.options);
  }
}

async function dropIndexIfPresent(db: Db, collection: string, name: string): Promise<void> {
  // Listing first, since a missing collection or index is an error on dropIndex (codes differ
  // between MongoDB and FerretDB).
  const existing = await db
    .collection(collection)
    .listIndexes()
    .toArray()
    .catch(() => []);
  if (existing.some((index) => index.name === name)) await db.collection(collection).dropIndex(name);
}
