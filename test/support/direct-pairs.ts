import { ChatClient } from './chat-client.js';
import { registerUser } from './users.js';

export interface DirectPair {
  sender: ChatClient;
  receiver: ChatClient;
  conversationId: string;
}

/**
 * `count` pairs of new users, each pair in a direct conversation of its own: the sender connected
 * to one edge, the receiver to another, so every message crosses nodes.
 */
export function openDirectPairs(
  options: { authUrl: string; senderEdgeUrl: string; receiverEdgeUrl: string; loginPrefix: string },
  count: number,
): Promise<DirectPair[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const [a, b] = await Promise.all([
        registerUser(options.authUrl, `${options.loginPrefix}s${i}`),
        registerUser(options.authUrl, `${options.loginPrefix}r${i}`),
      ]);
      const sender = await ChatClient.connect(options.senderEdgeUrl, a.accessToken);
      const receiver = await ChatClient.connect(options.receiverEdgeUrl, b.accessToken);
      const { conversation } = await sender.request('conversation.open_direct', { userId: b.id });
      return { sender, receiver, conversationId: conversation.id as string };
    }),
  );
}
