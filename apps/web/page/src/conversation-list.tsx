import type { ChatClient, ConversationState } from '@chat/client';
import { conversationTitle, directPeer } from './display.js';
import { PresenceDot } from './presence-dot.js';

/** When a conversation last saw a message (or was created): the list is newest first. */
function lastActivity(conversation: ConversationState): string {
  const folded = conversation.folded();
  return folded[folded.length - 1]?.message.createdAt ?? conversation.createdAt ?? '';
}

function preview(chat: ChatClient, conversation: ConversationState): string {
  const folded = conversation.folded();
  const last = folded[folded.length - 1];
  if (!last) return conversation.kind === 'group' ? `${conversation.members.size} members` : 'No messages yet';
  const mine = last.message.senderId === chat.userId ? 'You: ' : '';
  return last.deleted ? `${mine}message deleted` : `${mine}${last.body ?? ''}`;
}

export function ConversationList(props: {
  chat: ChatClient;
  conversations: ConversationState[];
  openId: string | undefined;
  onOpen(id: string): void;
}) {
  const { chat } = props;
  const shown = props.conversations
    .filter((conversation) => conversation.member)
    .sort((a, b) => lastActivity(b).localeCompare(lastActivity(a)));
  if (shown.length === 0) return <p class="empty">No conversations yet.</p>;
  return (
    <ul class="conversations">
      {shown.map((conversation) => {
        const peer = directPeer(chat, conversation);
        return (
          <li key={conversation.id}>
            <button
              type="button"
              class={`conversation-item${conversation.id === props.openId ? ' open' : ''}`}
              data-id={conversation.id}
              onClick={() => props.onOpen(conversation.id)}
            >
              {peer ? <PresenceDot chat={chat} userId={peer} /> : <span class="group-mark">#</span>}
              <span class="conversation-text">
                <span class="conversation-title">{conversationTitle(chat, conversation)}</span>
                <span class="last-message">{preview(chat, conversation)}</span>
              </span>
              {conversation.unread > 0 && (
                <span class="badge" title="unread">
                  {conversation.unread}
                </span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
