import { parse as parseUuid, v5 as uuidv5 } from 'uuid';

/** Namespace of message ids. Never change it: stored messages are found again by their id. */
export const MESSAGE_ID_NAMESPACE = '5f0c8c1e-6a3b-4a8e-9a53-6f1f0f7b2d41';
/** Parsed once: given as text, `v5` validates and parses the namespace on every call of the edge's hot path. */
const MESSAGE_ID_NAMESPACE_BYTES = parseUuid(MESSAGE_ID_NAMESPACE);

/**
 * The id of a client's message: a name-based UUID of the sender, the conversation and the
 * client's `clientMsgId`. A resend to any node has the same id without a lookup; the same
 * `clientMsgId` in another conversation is another message (bug 11: the id once left the
 * conversation out, and a reused `clientMsgId` was acked as the first conversation's message).
 */
export function messageIdOf(key: { senderId: string; conversationId: string; clientMsgId: string }): string {
  return uuidv5(`${key.senderId}\n${key.conversationId}\n${key.clientMsgId}`, MESSAGE_ID_NAMESPACE_BYTES);
}
