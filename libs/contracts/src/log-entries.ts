import { z } from 'zod';
import { groupTitle, seq } from './chat.js';
import { id } from './primitives.js';

/**
 * The entries of a conversation's log besides new messages. Each is the push that announces it
 * and, with `type`, the entry `log.get` returns: a client applies both with the same code. Every
 * entry carries its conversation's `seq`; together with `message.new` they number the log
 * without gaps.
 */

const isoDate = z.iso.datetime({ offset: true });
const utf8 = new TextEncoder();

/** Bytes of an emoji as stored and compared: 1-32 of UTF-8. */
export const MAX_EMOJI_BYTES = 32;

/** A reaction: 1-32 bytes of well-formed UTF-8, no whitespace, no control characters. */
export const emoji = z
  .string()
  .min(1)
  .refine((value) => value.isWellFormed(), 'must be well-formed Unicode')
  .refine((value) => utf8.encode(value).length <= MAX_EMOJI_BYTES, `must be at most ${MAX_EMOJI_BYTES} bytes of UTF-8`)
  .refine((value) => !/[\p{White_Space}\p{Cc}]/u.test(value), 'must not contain whitespace or control characters');

const entryBase = { conversationId: id, seq: seq.min(1), actorId: id };

/** The body of a message changed. `body` is absent once the message is deleted (erased with it). */
export const messageEditedEntry = z.object({
  type: z.literal('message.edited'),
  ...entryBase,
  messageId: id,
  body: z.string().optional(),
  editedAt: isoDate,
});

export const messageDeletedEntry = z.object({ type: z.literal('message.deleted'), ...entryBase, messageId: id });

/** `userId` added (`added: true`) or took back a reaction. */
export const reactionChangedEntry = z.object({
  type: z.literal('reaction.changed'),
  ...entryBase,
  messageId: id,
  userId: id,
  emoji,
  added: z.boolean(),
});

export const MEMBER_CHANGES = ['added', 'removed', 'left'] as const;
export type MemberChange = (typeof MEMBER_CHANGES)[number];

export const memberChangedEntry = z.object({
  type: z.literal('member.changed'),
  ...entryBase,
  userId: id,
  change: z.enum(MEMBER_CHANGES),
});

export const conversationRenamedEntry = z.object({
  type: z.literal('conversation.renamed'),
  ...entryBase,
  title: groupTitle,
});

/** Every log entry that is not a new message. */
export const changeEntry = z.discriminatedUnion('type', [
  messageEditedEntry,
  messageDeletedEntry,
  reactionChangedEntry,
  memberChangedEntry,
  conversationRenamedEntry,
]);

export type MessageEditedEntry = z.output<typeof messageEditedEntry>;
export type MessageDeletedEntry = z.output<typeof messageDeletedEntry>;
export type ReactionChangedEntry = z.output<typeof reactionChangedEntry>;
export type MemberChangedEntry = z.output<typeof memberChangedEntry>;
export type ConversationRenamedEntry = z.output<typeof conversationRenamedEntry>;
export type ChangeEntry = z.output<typeof changeEntry>;
export type ChangeEntryType = ChangeEntry['type'];
