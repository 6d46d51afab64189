import { defineHandler } from './handler.js';

/** `log.get {conversationId, afterSeq, limit?}` → `ack {entries}`: the entries after `afterSeq`, ascending (≤ 500, default 200). */
export const logGet = defineHandler({
  type: 'log.get',
  // Up to 500 documents a frame.
  costly: true,
  handle: async (origin, frame, services) => ({ entries: await services.conversations.log(origin.userId, frame) }),
});
