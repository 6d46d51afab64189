import { defineHandler } from './handler.js';

/** `conversation.leave {conversationId}` → `ack {conversationId}`; groups only. */
export const conversationLeave = defineHandler({
  type: 'conversation.leave',
  handle: async (origin, frame, services) => {
    await services.conversations.leave(origin.userId, frame.conversationId);
    return { conversationId: frame.conversationId };
  },
});
