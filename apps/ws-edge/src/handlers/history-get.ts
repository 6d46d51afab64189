import { defineHandler } from './handler.js';

/** `history.get {conversationId, beforeSeq?, afterSeq?, limit?}` → `ack {messages}` in ascending seq. */
export const historyGet = defineHandler({
  type: 'history.get',
  handle: async (origin, frame, services) => ({ messages: await services.conversations.history(origin.userId, frame) }),
});
