import type { ChatClient, ChatClientError, ConversationState } from '@chat/client';

/**
 * How a user is named: the display name with the login beside it, as the server asks of every
 * client (a display name is a label anyone may pick; the login is the identity).
 */
export function userLabel(chat: ChatClient, userId: string): { name: string; login: string } {
  const user = chat.user(userId);
  if (!user) return { name: 'Someone', login: '' };
  return { name: user.displayName, login: `@${user.login}` };
}

export function userText(chat: ChatClient, userId: string): string {
  const { name, login } = userLabel(chat, userId);
  return login ? `${name} (${login})` : name;
}

/** The other member of a direct conversation (yourself in a conversation with yourself). */
export function directPeer(chat: ChatClient, conversation: ConversationState): string | undefined {
  if (conversation.kind !== 'direct') return undefined;
  return [...conversation.members].find((id) => id !== chat.userId) ?? chat.userId;
}

export function conversationTitle(chat: ChatClient, conversation: ConversationState): string {
  if (conversation.kind === 'group') return conversation.title ?? 'Group';
  const peer = directPeer(chat, conversation);
  return peer ? userText(chat, peer) : 'Direct chat';
}

export function timeOf(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** What to tell a person about a failure; the server's message says what was wrong with a field. */
export function problemText(error: unknown): string {
  const failure = error as Partial<ChatClientError>;
  switch (failure.code) {
    case 'unauthorized':
      return 'Wrong login or password.';
    case 'conflict':
      return 'That login is taken.';
    case 'rate_limited':
      return 'Too many attempts: wait a little and try again.';
    case 'unavailable':
    case 'disconnected':
    case 'timeout':
      return 'The server cannot be reached right now: try again.';
    case 'forbidden':
      return 'You are not allowed to do that.';
    case 'not_found':
      return 'Not found.';
    default:
      return failure.message ?? String(error);
  }
}
