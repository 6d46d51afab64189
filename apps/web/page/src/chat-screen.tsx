import type { ChatClient } from '@chat/client';
import { useEffect, useState } from 'preact/hooks';
import { ConnectionBanner } from './connection-banner.js';
import { ConversationList } from './conversation-list.js';
import { ConversationView } from './conversation-view.js';
import { problemText, userText } from './display.js';
import { NewDirect, NewGroup } from './new-conversation.js';
import { useChatUpdates, useNames, usePresence } from './use-chat.js';

type Panel = 'direct' | 'group' | undefined;

/** The logged-in page: the conversation list beside the open conversation (one of them at phone width). */
export function ChatScreen({ chat }: { chat: ChatClient }) {
  const version = useChatUpdates(chat);
  useNames(chat, version);
  usePresence(chat, version);
  const [openId, setOpenId] = useState<string>();
  const [panel, setPanel] = useState<Panel>();
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    chat.connect().catch((error: unknown) => setProblem(problemText(error)));
  }, [chat]);

  const conversations = chat.conversations();
  const unread = conversations.reduce((sum, conversation) => sum + conversation.unread, 0);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Chat` : 'Chat';
  }, [unread]);

  const open = openId ? chat.conversation(openId) : undefined;
  const opened = (id: string) => {
    setPanel(undefined);
    setOpenId(id);
  };
  const me = chat.userId;
  return (
    <div class="chat" data-view={open ? 'conversation' : 'list'} data-state={chat.state} data-edge={chat.edgeUrl}>
      <ConnectionBanner chat={chat} />
      <aside class="sidebar">
        <header class="me">
          <span class="me-name">{me ? userText(chat, me) : ''}</span>
          <button type="button" class="link" onClick={() => chat.logout().catch(() => chat.close())}>
            Log out
          </button>
        </header>
        <div class="new-buttons">
          <button type="button" onClick={() => setPanel(panel === 'direct' ? undefined : 'direct')}>
            New chat
          </button>
          <button type="button" onClick={() => setPanel(panel === 'group' ? undefined : 'group')}>
            New group
          </button>
        </div>
        {panel === 'direct' && <NewDirect chat={chat} onOpened={opened} />}
        {panel === 'group' && <NewGroup chat={chat} onOpened={opened} />}
        {problem && (
          <p class="problem" role="alert">
            {problem}
          </p>
        )}
        <ConversationList chat={chat} conversations={conversations} openId={openId} onOpen={opened} />
        <footer class="edge" title="the edge node this page is connected to">
          {chat.edgeUrl}
        </footer>
      </aside>
      <main class="pane">
        {open ? (
          <ConversationView key={open.id} chat={chat} conversation={open} onBack={() => setOpenId(undefined)} />
        ) : (
          <p class="empty">Pick a conversation, or start one.</p>
        )}
      </main>
    </div>
  );
}
