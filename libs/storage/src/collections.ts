import type { Db } from 'mongodb';
import type {
  ConversationDocument,
  LogDocument,
  MembershipDocument,
  NotificationDocument,
  RefreshTokenDocument,
  UserDocument,
} from './documents.js';

export const COLLECTION_NAMES = {
  users: 'users',
  refreshTokens: 'refresh_tokens',
  conversations: 'conversations',
  memberships: 'memberships',
  messages: 'messages',
  notifications: 'notifications',
} as const;

export function collectionsOf(db: Db) {
  return {
    users: db.collection<UserDocument>(COLLECTION_NAMES.users),
    refreshTokens: db.collection<RefreshTokenDocument>(COLLECTION_NAMES.refreshTokens),
    conversations: db.collection<ConversationDocument>(COLLECTION_NAMES.conversations),
    memberships: db.collection<MembershipDocument>(COLLECTION_NAMES.memberships),
    messages: db.collection<LogDocument>(COLLECTION_NAMES.messages),
    notifications: db.collection<NotificationDocument>(COLLECTION_NAMES.notifications),
  };
}

export type Collections = ReturnType<typeof collectionsOf>;
