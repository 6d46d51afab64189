import { z } from 'zod';
import { displayText, id } from './primitives.js';

/** Limits of the chat contract, one place each. */
export const MAX_MESSAGE_BODY_BYTES = 4 * 1024;
export const MAX_GROUP_TITLE_CHARS = 100;
export const MAX_GROUP_MEMBERS = 1_000;
export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 100;
export const LOG_DEFAULT_LIMIT = 200;
export const LOG_MAX_LIMIT = 500;

export type ConversationKind = 'direct' | 'group';

/** A conversation as clients see it. */
export interface Conversation {
  id: string;
  kind: ConversationKind;
  title?: string;
  /** Groups only: who may rename it, remove members and delete others' messages (its creator). */
  ownerId?: string;
  members: string[];
  lastSeq: number;
  createdAt: string;
}

/** A persisted message as clients see it. */
export interface ChatMessage {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  /** Absent only once the message is deleted: its text is erased from storage. */
  body?: string;
  clientMsgId: string;
  /** The message of the same conversation this one answers. */
  replyTo?: string;
  createdAt: string;
}

export const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A client's own id for a message; resending it never creates a second message. */
export const clientMsgId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** Message text: not empty, well-formed Unicode, no NUL. Its byte size is checked separately (too_large). */
export const messageBody = z
  .string()
  .min(1)
  .refine((value) => value.isWellFormed(), 'must be well-formed Unicode')
  .refine((value) => !value.includes('\u0000'), 'must not contain NUL');

export const groupTitle = displayText(MAX_GROUP_TITLE_CHARS);

/** Someone to open a direct conversation with: by id or by login, exactly one. */
export const directTarget = z
  .object({ userId: id.optional(), login: z.string().max(64).optional() })
  .refine((target) => (target.userId === undefined) !== (target.login === undefined), {
    message: 'give exactly one of userId or login',
  });

export const groupSpec = z.object({
  title: groupTitle,
  members: z.array(id).max(MAX_GROUP_MEMBERS, `must list at most ${MAX_GROUP_MEMBERS} members`),
});

export const historyQuery = z.object({
  conversationId: id,
  beforeSeq: seq.optional(),
  afterSeq: seq.optional(),
  limit: z.number().int().min(1).max(HISTORY_MAX_LIMIT).optional(),
});

export type HistoryQuery = z.output<typeof historyQuery>;

/** `log.get`: the entries after `afterSeq`, ascending; how a client resumes. */
export const logQuery = z.object({
  conversationId: id,
  afterSeq: seq,
  limit: z.number().int().min(1).max(LOG_MAX_LIMIT).optional(),
});
export type LogQuery = z.output<typeof logQuery>;
