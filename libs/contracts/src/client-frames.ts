import { z } from 'zod';
import { clientMsgId, directTarget, groupSpec, groupTitle, historyQuery, logQuery, messageBody, seq } from './chat.js';
import { emoji } from './log-entries.js';
import { id } from './primitives.js';

/**
 * What a client may send over the WebSocket, one schema per frame type. Every frame has a `type`
 * and an optional `ref` that the answer (`ack` or `error`) repeats. Unknown fields are ignored.
 */

export const frameRef = z.union([z.string().max(64), z.number().int().safe()]);

export const CLIENT_FRAME_SCHEMAS = {
  'message.send': z.object({
    conversationId: id,
    body: messageBody,
    clientMsgId: clientMsgId.optional(),
    replyTo: id.optional(),
  }),
  'message.edit': z.object({ conversationId: id, messageId: id, body: messageBody }),
  'message.delete': z.object({ conversationId: id, messageId: id }),
  'reaction.add': z.object({ conversationId: id, messageId: id, emoji }),
  'reaction.remove': z.object({ conversationId: id, messageId: id, emoji }),
  'history.get': historyQuery,
  'log.get': logQuery,
  'conversation.open_direct': directTarget,
  'conversation.create_group': groupSpec,
  'conversation.add_member': z.object({ conversationId: id, userId: id }),
  'conversation.remove_member': z.object({ conversationId: id, userId: id }),
  'conversation.rename': z.object({ conversationId: id, title: groupTitle }),
  'conversation.leave': z.object({ conversationId: id }),
  'conversation.list': z.object({}),
  'auth.refresh': z.object({ accessToken: z.string().min(1).max(4_096) }),
  typing: z.object({ conversationId: id }),
  'message.read': z.object({ conversationId: id, seq }),
  'message.delivered': z.object({ conversationId: id, seq }),
  'conversation.receipts': z.object({ conversationId: id }),
  'presence.query': z.object({ userIds: z.array(id).min(1).max(100, 'must list at most 100 ids') }),
  ping: z.object({}),
} as const;

export type ClientFrameType = keyof typeof CLIENT_FRAME_SCHEMAS;
export type ClientFrame<T extends ClientFrameType> = z.output<(typeof CLIENT_FRAME_SCHEMAS)[T]>;

export function isClientFrameType(type: unknown): type is ClientFrameType {
  return typeof type === 'string' && Object.hasOwn(CLIENT_FRAME_SCHEMAS, type);
}
