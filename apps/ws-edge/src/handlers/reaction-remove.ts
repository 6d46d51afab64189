import { defineHandler } from './handler.js';

/** `reaction.remove {conversationId, messageId, emoji}` → `ack {seq}`; `{seq: null}` when there was no such reaction. */
export const reactionRemove = defineHandler({
  type: 'reaction.remove',
  handle: (origin, frame, services) =>
    services.conversations.changeMessage(origin.userId, frame.conversationId, {
      kind: 'reaction.remove',
      messageId: frame.messageId,
      emoji: frame.emoji,
    }),
});
