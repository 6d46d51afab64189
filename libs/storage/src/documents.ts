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
  /**
   * Raised by a password change. Access tokens carry the epoch their session began in; one below
   * the account's is refused at once, so a changed password ends the other sessions now, not when
   * their access tokens expire. The time of the last change in ms (or one above the epoch before,
   * if that clock was behind). Absent is 0.
   */
  sessionEpoch?: number;
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
  /** The account's session epoch when the family began; its access tokens carry it. Absent is 0. */
  sessionEpoch?: number;
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
  /**
   * Not maintained: the head of the log is the log's own highest seq, cached in Redis
   * (`LogHeads`). Written as 0 by versions that read it, and by this one for them.
   */
  lastSeq: number;
  /** The seq of the `conversation.renamed` entry that set `title`; a late re-apply of an older one loses. */
  titleSeq?: number;
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

/** A new message: the log's `message.new` entries. The other entries of the log share its collection. */
export interface MessageDocument {
  /** Derived from (senderId, clientMsgId): a resend has the same id. */
  _id: string;
  kind?: undefined;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  /** Unset when the message is deleted. */
  body?: string;
  /** The message of the same conversation this one answers. */
  replyTo?: string;
  /** When the edge accepted it. */
  createdAt: Date;
}

/**
 * Every other entry of a conversation's log (edits, deletes, reactions, membership, renames),
 * in the messages collection so one ordered insert appends a batch of any kinds. The fields are
 * those of the entry's push (`ChangeEntry`), with `kind` for its type and `createdAt` for when
 * it was written (an edit's `editedAt`).
 */
export interface EntryDocument {
  /** The id of the command that asked for it: a redelivered command meets its own entry. */
  _id: string;
  conversationId: string;
  seq: number;
  kind: 'message.edited' | 'message.deleted' | 'reaction.changed' | 'member.changed' | 'conversation.renamed';
  /**
   * Who wrote the entry (the push's `actorId`). Named as a message's sender, with `clientMsgId`
   * set to the entry's id, so entries hold distinct values in the messages' unique
   * (senderId, conversationId, clientMsgId) index: FerretDB has no partial index to leave them out.
   */
  senderId: string;
  clientMsgId: string;
  createdAt: Date;
  /** The message it changes (edits, deletes, reactions): indexed, to fold a page of messages. */
  messageId?: string;
  /** An edit's new body; unset when its message is deleted. */
  body?: string;
  emoji?: string;
  added?: boolean;
  /** Reactions: who reacted; membership: who joined or went. */
  userId?: string;
  change?: 'added' | 'removed' | 'left';
  title?: string;
}

/** What the messages collection holds: the whole log. */
export type LogDocument = MessageDocument | EntryDocument;

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
