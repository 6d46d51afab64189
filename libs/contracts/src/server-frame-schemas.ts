import { z } from 'zod';
import { seq } from './chat.js';
import { frameRef } from './client-frames.js';
import { ERROR_CODES } from './errors.js';
import {
  currentMessageAnswer,
  isoTimestamp,
  listedConversationAnswer,
  publicUserAnswer,
  type Same,
} from './http-answers.js';
import {
  conversationRenamedEntry,
  memberChangedEntry,
  messageDeletedEntry,
  messageEditedEntry,
  reactionChangedEntry,
} from './log-entries.js';
import { id as uuid } from './primitives.js';
import type {
  AckFrame,
  ErrorFrame,
  MessageNewFrame,
  MessageReadFrame,
  PresenceChangedFrame,
  ReceiptChangedFrame,
  ServerFrame,
  SessionReadyFrame,
  SessionResyncFrame,
  TypingFrame,
  UserChangedFrame,
} from './server-frames.js';

/**
 * Every frame the server sends, as zod schemas, for the generated JSON Schemas (docs/contracts,
 * served by the apps). The server builds its frames from the interfaces in server-frames.ts; the
 * compile-time checks below fail the build when a schema and its interface drift apart.
 */

const sessionReady = z.object({
  type: z.literal('session.ready'),
  userId: uuid,
  nodeId: z.string(),
  conversations: z.array(listedConversationAnswer),
  online: z.array(uuid).optional().meta({ description: 'contacts online now; absent when presence was unreadable' }),
});

const sessionResync = z.object({
  type: z.literal('session.resync'),
  reason: z.literal('deliveries_interrupted'),
});

const ack = z
  .looseObject({ type: z.literal('ack'), ref: frameRef.optional() })
  .meta({ description: "the answer to a client frame: its result's fields beside `type` and `ref`" });

const error = z.object({
  type: z.literal('error'),
  ref: frameRef.optional(),
  code: z.enum(ERROR_CODES),
  message: z.string(),
});

const messageNew = z.object({
  type: z.literal('message.new'),
  message: currentMessageAnswer.omit({ editedAt: true, deleted: true, reactions: true }),
});

const presenceChanged = z.object({
  type: z.literal('presence.changed'),
  userId: uuid,
  status: z.enum(['online', 'offline']),
  lastSeen: isoTimestamp.optional(),
  version: z.number().int().meta({ description: "grows with each of the user's changes: keep the highest" }),
});

const typing = z.object({ type: z.literal('typing'), conversationId: uuid, userId: uuid });

const messageRead = z.object({ type: z.literal('message.read'), conversationId: uuid, userId: uuid, seq });

const userChanged = z.object({ type: z.literal('user.changed'), user: publicUserAnswer });

const receiptChanged = z.object({
  type: z.literal('receipt.changed'),
  conversationId: uuid,
  userId: uuid,
  deliveredSeq: seq,
  readSeq: seq,
});

/** Each server frame type's schema. */
export const SERVER_FRAME_SCHEMAS = {
  'session.ready': sessionReady,
  'session.resync': sessionResync,
  ack,
  error,
  'message.new': messageNew,
  'message.edited': messageEditedEntry,
  'message.deleted': messageDeletedEntry,
  'reaction.changed': reactionChangedEntry,
  'member.changed': memberChangedEntry,
  'conversation.renamed': conversationRenamedEntry,
  'presence.changed': presenceChanged,
  typing,
  'message.read': messageRead,
  'receipt.changed': receiptChanged,
  'user.changed': userChanged,
} as const satisfies Record<ServerFrame['type'], z.ZodType>;

export type ServerFrameType = keyof typeof SERVER_FRAME_SCHEMAS;

/** Each line fails to compile when a schema no longer describes its interface exactly. */
export const SERVER_FRAME_SCHEMAS_MATCH: true[] = [
  true satisfies Same<z.output<typeof sessionReady>, SessionReadyFrame>,
  true satisfies Same<z.output<typeof sessionResync>, SessionResyncFrame>,
  true satisfies Same<z.output<typeof error>, ErrorFrame>,
  true satisfies Same<Omit<z.output<typeof ack>, string>, Omit<AckFrame, string>>,
  true satisfies Same<z.output<typeof messageNew>, MessageNewFrame>,
  true satisfies Same<z.output<typeof presenceChanged>, PresenceChangedFrame>,
  true satisfies Same<z.output<typeof typing>, TypingFrame>,
  true satisfies Same<z.output<typeof messageRead>, MessageReadFrame>,
  true satisfies Same<z.output<typeof receiptChanged>, ReceiptChangedFrame>,
  true satisfies Same<z.output<typeof userChanged>, UserChangedFrame>,
  // Every server frame type has a schema, and no schema names a type the server does not send.
  true satisfies Same<ServerFrameType, ServerFrame['type']>,
];
