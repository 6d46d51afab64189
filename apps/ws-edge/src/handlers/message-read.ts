import { defineHandler } from './handler.js';

/** `message.read {conversationId, seq}` → `ack {conversationId, seq}` with the cursor as it now stands. */
export const messageRead = defineHandler({
  type: 'message.read',
  handle: (origin, frame, services) =>
    services.reads.markRead(origin.userId, origin.id, frame.conversationId, frame.seq),
});
