import { randomUUID } from 'node:crypto';

/** The body every load and every baseline carries: 160 characters, as the end-to-end clients send. */
export const BODY =
  'The quick brown fox jumps over the lazy dog while the chat pipeline carries it from one edge to the other. '
    .repeat(2)
    .slice(0, 160);

/**
 * A message.created event as an edge publishes it for a direct conversation (two members): what
 * the inbound hop and the drain carry.
 */
export function createdEvent(
  conversationId: string = randomUUID(),
  n = 0,
  members: string[] = [randomUUID(), randomUUID()],
) {
  return {
    type: 'message.created',
    messageId: randomUUID(),
    conversationId,
    senderId: members[0] ?? randomUUID(),
    clientMsgId: `bench-${n}`,
    body: BODY,
    createdAt: new Date().toISOString(),
    members,
  };
}

/** A message.persisted event as the persister announces it on the outbound hop (direct conversation). */
export function persistedEvent(conversationId: string = randomUUID(), seq = 1) {
  const created = createdEvent(conversationId, seq);
  return {
    type: 'message.persisted',
    message: {
      id: created.messageId,
      conversationId,
      seq,
      senderId: created.senderId,
      body: BODY,
      clientMsgId: created.clientMsgId,
      createdAt: created.createdAt,
    },
    members: created.members,
  };
}
