import { defineHandler } from './handler.js';

/** `message.edit {conversationId, messageId, body}` → `ack {seq}`: the sender changes the text. Repeating it answers the same seq. */
export const messageEdit = defineHandler({
  type: 'message.edit',
  handle: (origin, frame, services) =>
    services.conversations.changeMessage(origin.userId, frame.conversationId, {
      kind: 'message.edit',
      messageId: frame.messageId,
      body: frame.body,
    }),
});
