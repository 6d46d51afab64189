import { z } from 'zod';
import type { ChatMessage, Conversation } from './chat.js';
import { ERROR_CODES, type HttpErrorBody } from './errors.js';
import type { PublicUser, TokenPair } from './http-auth.js';
import type { CurrentMessage, Reaction } from './log-fold.js';
import type { SessionConversation } from './server-frames.js';

/**
 * The answers of the HTTP APIs as zod schemas, for the generated OpenAPI documents
 * (docs/contracts). The server builds its answers from the interfaces beside each; the
 * compile-time checks at the end fail the build when a schema and its interface drift apart.
 */

/** A time as the APIs write it: ISO 8601 with an offset. */
export const isoTimestamp = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 time' });
const uuid = z.uuid();

export const publicUserAnswer = z
  .object({ id: uuid, login: z.string(), displayName: z.string() })
  .meta({ description: 'A user as others see them; show the login beside the name' });

export const tokenPairAnswer = z.object({
  accessToken: z.string().meta({ description: 'ES256 JWT; send as `Authorization: Bearer <accessToken>`' }),
  refreshToken: z.string().meta({ description: 'single use: POST /token/refresh answers the next one' }),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().meta({ description: 'lifetime of the access token, in seconds' }),
});

export const httpErrorAnswer = z.object({ error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }) });

export const conversationAnswer = z.object({
  id: uuid,
  kind: z.enum(['direct', 'group']),
  title: z.string().optional(),
  ownerId: uuid.optional().meta({ description: 'groups only: their creator, who renames and removes members' }),
  members: z.array(uuid),
  lastSeq: z.number().int().min(0),
  createdAt: isoTimestamp,
});

export const listedConversationAnswer = conversationAnswer.extend({
  unread: z.number().int().min(0).meta({ description: 'messages after your read cursor that others sent' }),
});

const reactionAnswer = z.object({ emoji: z.string(), count: z.number().int().min(1), me: z.boolean() });

export const currentMessageAnswer = z.object({
  id: uuid,
  conversationId: uuid,
  seq: z.number().int().min(1),
  senderId: uuid,
  body: z.string().optional().meta({ description: 'absent once the message is deleted' }),
  clientMsgId: z.string(),
  replyTo: uuid.optional(),
  createdAt: isoTimestamp,
  editedAt: isoTimestamp.optional(),
  deleted: z.literal(true).optional(),
  reactions: z.array(reactionAnswer),
});

/** `true` when A and B are the same type, `never` otherwise: a schema's output against its interface. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
/** Each line fails to compile when a schema no longer describes its interface exactly. */
export const ANSWER_SCHEMAS_MATCH: true[] = [
  true satisfies Same<z.output<typeof publicUserAnswer>, PublicUser>,
  true satisfies Same<z.output<typeof tokenPairAnswer>, TokenPair>,
  true satisfies Same<z.output<typeof httpErrorAnswer>, HttpErrorBody>,
  true satisfies Same<z.output<typeof conversationAnswer>, Conversation>,
  true satisfies Same<z.output<typeof listedConversationAnswer>, SessionConversation>,
  true satisfies Same<z.output<typeof reactionAnswer>, Reaction>,
  true satisfies Same<z.output<typeof currentMessageAnswer>, CurrentMessage>,
  true satisfies Same<Omit<z.output<typeof currentMessageAnswer>, 'editedAt' | 'deleted' | 'reactions'>, ChatMessage>,
];
