import { defineHandler } from './handler.js';

/** `reaction.add {conversationId, messageId, emoji}` → `ack {seq}`; `{seq: null}` when the reaction is there already. */
export const reactionAdd = defineHandler({
  type: 'reaction.add',
  handle: (origin, frame, services) =>
    services.conversations.changeMessage(origin.userId, frame.conversationId, {
      kind: 'reaction.add',
      messageId: frame.messageId,
      emoji: frame.emoji,
    }),
});
