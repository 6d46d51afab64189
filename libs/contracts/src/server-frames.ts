import type { ChatMessage, Conversation } from './chat.js';
import type { ErrorCode } from './errors.js';
import type { PublicUser } from './http-auth.js';
import type { ChangeEntry } from './log-entries.js';

/** What the server sends over the WebSocket. */

export interface SessionConversation extends Conversation {
  /** Messages after the user's read cursor that others sent. */
  unread: number;
}

export interface SessionReadyFrame {
  type: 'session.ready';
  userId: string;
  nodeId: string;
  conversations: SessionConversation[];
  /**
   * The contacts (users who share a conversation with this one) online now, as `presence.changed`
   * would announce them. Absent when presence could not be read: the client then knows nothing
   * yet, rather than that everyone is offline.
   */
  online?: string[];
}

export interface AckFrame {
  type: 'ack';
  ref?: string | number;
  [result: string]: unknown;
}

export interface ErrorFrame {
  type: 'error';
  ref?: string | number;
  code: ErrorCode;
  message: string;
}

export interface MessageNewFrame {
  type: 'message.new';
  message: ChatMessage;
}

/**
 * One entry of a conversation's log, as `log.get` returns it: the push that announced it, so a
 * client applies a replayed entry with the code that handles the push.
 */
export type LogEntry = MessageNewFrame | ChangeEntry;

/** The push types that are log entries; every other server frame is not in the log. */
export const LOG_ENTRY_TYPES: ReadonlySet<string> = new Set([
  'message.new',
  'message.edited',
  'message.deleted',
  'reaction.changed',
  'member.changed',
  'conversation.renamed',
] satisfies LogEntry['type'][]);

/** An entry's seq in its conversation's log. */
export function entrySeq(entry: LogEntry): number {
  return entry.type === 'message.new' ? entry.message.seq : entry.seq;
}

/** The conversation an entry belongs to. */
export function entryConversation(entry: LogEntry): string {
  return entry.type === 'message.new' ? entry.message.conversationId : entry.conversationId;
}

export interface PresenceChangedFrame {
  type: 'presence.changed';
  userId: string;
  status: 'online' | 'offline';
  lastSeen?: string;
  /** Grows with each of the user's transitions; a client keeps the highest. */
  version: number;
}

export interface TypingFrame {
  type: 'typing';
  conversationId: string;
  userId: string;
}

export interface MessageReadFrame {
  type: 'message.read';
  conversationId: string;
  userId: string;
  seq: number;
}

/** Another member's cursors moved: what their devices hold (`deliveredSeq`) and have read (`readSeq`). */
export interface ReceiptChangedFrame {
  type: 'receipt.changed';
  conversationId: string;
  userId: string;
  deliveredSeq: number;
  readSeq: number;
}

/**
 * Pushes to this connection may have been lost: the node's deliveries queue went away with its
 * broker connection and was declared again. Entries are not lost (they are in the log): resume
 * each conversation from the seq you hold (`conversation.list`, then `log.get`), as after a
 * reconnect. Presence and receipts may be stale too; typing is simply gone.
 */
export interface SessionResyncFrame {
  type: 'session.resync';
  reason: 'deliveries_interrupted';
}

/** A user's public profile changed (their display name): to them and to everyone who shares a conversation with them. */
export interface UserChangedFrame {
  type: 'user.changed';
  user: PublicUser;
}

export type ServerFrame =
  | UserChangedFrame
  | SessionReadyFrame
  | SessionResyncFrame
  | AckFrame
  | ErrorFrame
  | MessageNewFrame
  | ChangeEntry
  | PresenceChangedFrame
  | TypingFrame
  | MessageReadFrame
  | ReceiptChangedFrame;

/**
 * WebSocket close codes the server uses, each saying why. 1008, 1009 and 1013 are the standard
 * ones; 4001 and 4003 are ours (application range).
 */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  tooLarge: 1009,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  tokenExpired: 4001,
  /** The account was deleted while connected. */
  accountDeleted: 4003,
  /** The password was changed: sessions from before it ended; log in again (or reconnect with the new tokens). */
  sessionEnded: 4004,
} as const;
