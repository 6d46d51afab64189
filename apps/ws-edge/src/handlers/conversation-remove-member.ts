import { defineHandler } from './handler.js';

/** `conversation.remove_member {conversationId, userId}` → `ack {seq}`; groups, by their owner. */
export const conversationRemoveMember = defineHandler({
  type: 'conversation.remove_member',
  handle: (origin, frame, services) =>
    services.conversations.removeMember(origin.userId, frame.conversationId, frame.userId),
});
