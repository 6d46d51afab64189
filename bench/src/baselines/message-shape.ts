import { randomUUID } from 'node:crypto';

/** A message.created event of the size the pipeline carries: what every baseline moves. */
export function sampleEvent(conversationId: string = randomUUID(), n = 0) {
  return {
    type: 'message.created',
    messageId: randomUUID(),
    conversationId,
    senderId: randomUUID(),
    clientMsgId: `bench-${n}`,
    body: 'The quick brown fox jumps over the lazy dog while the chat pipeline carries it from one edge to the other. '
      .repeat(2)
      .slice(0, 160),
    createdAt: new Date().toISOString(),
    members: [] as string[],
  };
}
