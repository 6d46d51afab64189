import type { ChatClient, ConversationState } from '@chat/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Composer, type Draft } from './composer.js';
import { conversationTitle, directPeer, problemText, timeOf, userLabel } from './display.js';
import { Problem } from './forms.js';
import { GroupPanel } from './group-panel.js';
import { MessageList } from './message-list.js';
import { PresenceDot } from './presence-dot.js';

/** Every member's cursors, for the ticks: asked when the conversation opens and after each reconnect. */
function useReceipts(chat: ChatClient, conversationId: string): void {
  useEffect(() => {
    const load = () => void chat.receipts(conversationId).catch(() => undefined);
    load();
    return chat.on('ready', load);
  }, [chat, conversationId]);
}

/** What the open conversation shows is read: the read cursor follows while the page is visible. */
function useMarkRead(chat: ChatClient, conversation: ConversationState): void {
  const askedUpTo = useRef(0);
  useEffect(() => {
    const upTo = conversation.appliedSeq;
    if (!conversation.member || conversation.unread === 0 || document.visibilityState !== 'visible') return;
    if (upTo <= askedUpTo.current) return;
    askedUpTo.current = upTo;
    chat.markRead(conversation.id, upTo).catch(() => {
      askedUpTo.current = 0;
    });
  });
}

function subtitle(chat: ChatClient, conversation: ConversationState): string {
  const peer = directPeer(chat, conversation);
  if (!peer) return `${conversation.members.size} members`;
  const presence = chat.presence(peer);
  if (presence?.status === 'online') return 'online';
  return presence?.lastSeen ? `last seen ${timeOf(presence.lastSeen)}` : 'offline';
}

function typingText(chat: ChatClient, conversationId: string): string {
  const names = chat
    .typingUsers(conversationId)
    .filter((id) => id !== chat.userId)
    .map((id) => userLabel(chat, id).name);
  if (names.length === 0) return '';
  return `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

/** One conversation: its header, the messages, who is typing, and the composer. */
export function ConversationView(props: { chat: ChatClient; conversation: ConversationState; onBack(): void }) {
  const { chat, conversation } = props;
  const [draft, setDraft] = useState<Draft>({ kind: 'new' });
  const [showMembers, setShowMembers] = useState(false);
  const [problem, setProblem] = useState<string>();
  useReceipts(chat, conversation.id);
  useMarkRead(chat, conversation);
  /** A change (edit, delete, reaction, membership): the SDK repeats it where that is safe; a refusal is shown. */
  const act = (change: Promise<unknown>) => {
    setProblem(undefined);
    change.catch((error: unknown) => setProblem(problemText(error)));
  };
  const peer = directPeer(chat, conversation);
  return (
    <section class="conversation" data-id={conversation.id}>
      <header class="conversation-header">
        <button type="button" class="back" onClick={props.onBack} aria-label="Back to the conversations">
          ‹
        </button>
        {peer && <PresenceDot chat={chat} userId={peer} />}
        <div class="conversation-heading">
          <h2>{conversationTitle(chat, conversation)}</h2>
          <span class="subtitle">{subtitle(chat, conversation)}</span>
        </div>
        {conversation.kind === 'group' && (
          <button type="button" aria-expanded={showMembers} onClick={() => setShowMembers(!showMembers)}>
            Members
          </button>
        )}
      </header>
      {showMembers && <GroupPanel chat={chat} conversation={conversation} act={act} />}
      <Problem text={problem} />
      <MessageList
        chat={chat}
        conversation={conversation}
        act={act}
        onReply={(messageId) => setDraft({ kind: 'reply', messageId })}
        onEdit={(messageId, body) => setDraft({ kind: 'edit', messageId, body })}
      />
      <p class="typing" aria-live="polite">
        {typingText(chat, conversation.id)}
      </p>
      {conversation.member ? (
        <Composer
          key={draft.kind === 'edit' ? `edit-${draft.messageId}` : 'compose'}
          chat={chat}
          conversation={conversation}
          draft={draft}
          act={act}
          onDone={() => setDraft({ kind: 'new' })}
        />
      ) : (
        <p class="left-note">You are no longer a member of this group.</p>
      )}
    </section>
  );
}
