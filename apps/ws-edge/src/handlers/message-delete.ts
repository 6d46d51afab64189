import { defineHandler } from './handler.js';

/** `message.delete {conversationId, messageId}` → `ack {seq}`: the sender or a group's owner; the text is erased. */
export const messageDelete = defineHandler({
  type: 'message.delete',
  handle: (origin, frame, services) =>
    services.conversations.changeMessage(origin.userId, frame.conversationId, {
      kind: 'message.delete',
      messageId: frame.messageId,
    }),
});
