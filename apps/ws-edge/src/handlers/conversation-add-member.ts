import { defineHandler } from './handler.js';

/** `conversation.add_member {conversationId, userId}` → `ack {conversation}`; groups only, by a member. */
export const conversationAddMember = defineHandler({
  type: 'conversation.add_member',
  costly: true,
  handle: async (origin, frame, services) => ({
    conversation: await services.conversations.addMember(origin.userId, frame.conversationId, frame.userId),
  }),
});
