import { defineHandler } from './handler.js';

/** `message.delivered {conversationId, seq}` → `ack {conversationId, seq}`: the user's delivered cursor as it now stands. */
export const messageDelivered = defineHandler({
  type: 'message.delivered',
  handle: (origin, frame, services) => services.reads.markDelivered(origin.userId, frame.conversationId, frame.seq),
});
