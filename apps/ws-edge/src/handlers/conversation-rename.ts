import { defineHandler } from './handler.js';

/** `conversation.rename {conversationId, title}` → `ack {seq}`; groups, by their owner. */
export const conversationRename = defineHandler({
  type: 'conversation.rename',
  handle: (origin, frame, services) => services.conversations.rename(origin.userId, frame.conversationId, frame.title),
});
