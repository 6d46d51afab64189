import type { ChatClient } from '@chat/client';
import { timeOf } from './display.js';

/** Green when the user is online now, grey otherwise (with when they were last seen); you are online while connected. */
export function PresenceDot({ chat, userId }: { chat: ChatClient; userId: string }) {
  const presence = chat.presence(userId);
  const self = chat.state === 'ready' ? 'online' : 'offline';
  const status = userId === chat.userId ? self : (presence?.status ?? 'unknown');
  const title =
    status === 'online' ? 'online' : presence?.lastSeen ? `last seen ${timeOf(presence.lastSeen)}` : 'offline';
  return <span class={`presence ${status}`} data-presence={status} title={title} />;
}
