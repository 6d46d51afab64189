import { defineHandler } from './handler.js';

/** `conversation.open_direct {userId | login}` → `ack {conversation}`: the one direct conversation of the pair. */
export const conversationOpenDirect = defineHandler({
  type: 'conversation.open_direct',
  handle: async (origin, frame, services) => ({
    conversation: await services.conversations.openDirect(origin.userId, frame),
  }),
});
