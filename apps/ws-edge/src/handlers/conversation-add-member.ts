import { defineHandler } from './handler.js';

/**
 * `conversation.add_member {conversationId, userId}` → `ack {conversation, seq}`; groups only,
 * by a member. `seq` is the `member.changed` entry, `null` when they were a member already.
 */
export const conversationAddMember = defineHandler({
  type: 'conversation.add_member',
  costly: true,
  handle: (origin, frame, services) =>
    services.conversations.addMember(origin.userId, frame.conversationId, frame.userId),
});
