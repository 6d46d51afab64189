/**
 * The shape of every stored document. Ids are UUID strings, so no ObjectId conversion happens
 * anywhere and the same value travels through frames, events and queries.
 */

export interface UserDocument {
  _id: string;
  /** Lowercased; unique. */
  login: string;
  displayName: string;
  /** argon2id, PHC string format (carries its own parameters and salt). */
  passwordHash: string;
  createdAt: Date;
}

export interface RefreshTokenDocument {
  /** SHA-256 (hex) of the opaque token; the token itself is never stored. */
  _id: string;
  userId: string;
  /** Every token descending from one login shares a family; reuse of any spent one revokes it all. */
  familyId: string;
  /**
   * Hash of the token this one replaced. Unique: inserting the successor is what spends the
   * parent, so two concurrent refreshes with one token cannot both succeed (no read-then-write).
   */
  rotatedFrom?: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date;
}

export type ConversationKind = 'direct' | 'group';

export interface ConversationDocument {
  _id: string;
  kind: ConversationKind;
  title?: string;
  /** For direct conversations only: the two member ids, sorted and joined. Unique. */
  directKey?: string;
  /** Highest persisted seq; written only by the persister that owns the conversation's shard. */
  lastSeq: number;
  createdBy: string;
  createdAt: Date;
}

/**
 * One member of one conversation, as a document of its own rather than an array element:
 * adding and leaving are then an insert and a delete, which no concurrent write can undo.
 */
export interface MembershipDocument {
  /** `${conversationId}:${userId}` */
  _id: string;
  conversationId: string;
  userId: string;
  joinedAt: Date;
  /** The member's read cursor: the highest seq they have read. */
  readSeq: number;
  /**
   * The highest seq one of the member's devices holds (never below `readSeq`). Absent on
   * memberships from before delivery receipts: read as `readSeq`.
   */
  deliveredSeq?: number;
}

export interface MessageDocument {
  /** Derived from (senderId, clientMsgId): a resend has the same id. */
  _id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  body: string;
  /** The message of the same conversation this one answers. */
  replyTo?: string;
  /** When the edge accepted it. */
  createdAt: Date;
}

export interface NotificationDocument {
  _id: string;
  userId: string;
  conversationId: string;
  messageIds: string[];
  count: number;
  preview: string;
  createdAt: Date;
  deliveredAt: Date;
  transport: 'webhook' | 'log';
}
