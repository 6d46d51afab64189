import { defineHandler } from './handler.js';

/** `typing {conversationId}` → `ack {}`; the other members get `typing {conversationId, userId}`. */
export const typing = defineHandler({
  type: 'typing',
  handle: async (origin, frame, services) => {
    await services.typing.typing(origin.userId, frame.conversationId);
    return {};
  },
});
