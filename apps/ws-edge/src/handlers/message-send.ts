import { defineHandler } from './handler.js';

/** `message.send {conversationId, body, clientMsgId?}` → `ack {messageId}` once the broker confirmed it. */
export const messageSend = defineHandler({
  type: 'message.send',
  handle: (origin, frame, services) => services.intake.accept(origin.userId, frame),
});
