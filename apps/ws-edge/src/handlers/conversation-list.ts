import { defineHandler } from './handler.js';

/** `conversation.list` → `ack {conversations}`. */
export const conversationList = defineHandler({
  type: 'conversation.list',
  costly: true,
  handle: async (origin, _frame, services) => ({ conversations: await services.conversations.list(origin.userId) }),
});
