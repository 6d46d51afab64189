import { defineHandler } from './handler.js';

/** `conversation.leave {conversationId}` → `ack {conversationId, seq}`; groups only. */
export const conversationLeave = defineHandler({
  type: 'conversation.leave',
  handle: async (origin, frame, services) => ({
    conversationId: frame.conversationId,
    ...(await services.conversations.leave(origin.userId, frame.conversationId)),
  }),
});
