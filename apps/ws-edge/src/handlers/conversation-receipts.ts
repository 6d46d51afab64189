import { defineHandler } from './handler.js';

/** `conversation.receipts {conversationId}` → `ack {receipts: [{userId, deliveredSeq, readSeq}]}` for every member. */
export const conversationReceipts = defineHandler({
  type: 'conversation.receipts',
  // Grows with the group: a member list's worth of documents.
  costly: true,
  handle: (origin, frame, services) => services.reads.receiptsOf(origin.userId, frame.conversationId),
});
