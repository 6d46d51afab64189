import { defineHandler } from './handler.js';

/** `conversation.create_group {title, members}` → `ack {conversation}`; the creator is a member. */
export const conversationCreateGroup = defineHandler({
  type: 'conversation.create_group',
  costly: true,
  handle: async (origin, frame, services) => ({
    conversation: await services.conversations.createGroup(origin.userId, frame),
  }),
});
