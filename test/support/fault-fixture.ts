import { ChatClient } from './chat-client.js';
import { PAIRS } from './fault-scale.js';
import { ResilientClient } from './message-stream.js';
import { registerUser } from './users.js';

/** Senders and receivers for a stream: `PAIRS` direct conversations, both sides resilient. */
export async function streamPairs(authUrl: string, sendEdges: string[], receiveEdges: string[]) {
  return Promise.all(
    Array.from({ length: PAIRS }, async (_, i) => {
      const [a, b] = await Promise.all([registerUser(authUrl, `fs${i}`), registerUser(authUrl, `fr${i}`)]);
      const opener = await ChatClient.connect(sendEdges[0] ?? '', a.accessToken);
      const conversationId = (await opener.request('conversation.open_direct', { userId: b.id })).conversation
        .id as string;
      opener.close();
      const sender = new ResilientClient(a.id, a.accessToken, sendEdges);
      const receiver = new ResilientClient(b.id, b.accessToken, receiveEdges);
      await Promise.all([sender.connect(), receiver.connect()]);
      return { sender, receiver, conversationId };
    }),
  );
}
