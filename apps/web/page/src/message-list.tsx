import type { ChatClient, ConversationState, OutboxEntry } from '@chat/client';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { MessageItem, OutboxItem } from './message-item.js';
import { MessageWindow, PAGE_SIZE } from './message-window.js';

/** Within this of the top, the page before is fetched; within this of the bottom, new messages keep it in view. */
const LOAD_OLDER_PX = 80;
const STICK_TO_BOTTOM_PX = 48;

/**
 * Messages the server acknowledged that the client does not hold yet (their push follows a
 * moment later, once stored): shown as sent in between, so a message never blinks out.
 */
function useAcknowledged(chat: ChatClient, conversation: ConversationState): OutboxEntry[] {
  const acknowledged = useRef(new Map<string, OutboxEntry>());
  useEffect(
    () =>
      chat.on('outbox', (entry) => {
        if (entry.status === 'sent' && entry.conversationId === conversation.id)
          acknowledged.current.set(entry.clientMsgId, entry);
      }),
    [chat, conversation.id],
  );
  for (const [clientMsgId, entry] of acknowledged.current)
    if (entry.messageId && conversation.message(entry.messageId)) acknowledged.current.delete(clientMsgId);
  return [...acknowledged.current.values()];
}

/**
 * The conversation's messages, the newest at the bottom; scrolling to the top fetches the page
 * before (history.get). Below them, what is still on its way: acknowledged, pending, failed.
 */
export function MessageList(props: {
  chat: ChatClient;
  conversation: ConversationState;
  act(change: Promise<unknown>): void;
  onReply(messageId: string): void;
  onEdit(messageId: string, body: string): void;
}) {
  const { chat, conversation } = props;
  const messageWindow = useRef(new MessageWindow()).current;
  const [, setRenders] = useState(0);
  const rerender = () => setRenders((n) => n + 1);
  const [selected, setSelected] = useState<string>();
  const list = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  /** While an older page loads: the distance from the bottom to keep, so what the user reads stays put. */
  const keepFromBottom = useRef<number | undefined>(undefined);
  const sentCount = useRef(0);

  const held = conversation.messages();
  const shown = messageWindow.visible(held);
  const acknowledged = useAcknowledged(chat, conversation);
  const outbox = chat.outbox(conversation.id);
  // Something new of the user's own: show it.
  if (outbox.length + acknowledged.length > sentCount.current) stickToBottom.current = true;
  sentCount.current = outbox.length + acknowledged.length;

  const loadOlder = () => {
    const element = list.current;
    if (!element || messageWindow.loading || messageWindow.atStart) return;
    keepFromBottom.current = element.scrollHeight - element.scrollTop;
    messageWindow
      .loadOlder(held, (beforeSeq) =>
        chat.history({ conversationId: conversation.id, limit: PAGE_SIZE, ...(beforeSeq ? { beforeSeq } : {}) }),
      )
      .catch(() => {
        keepFromBottom.current = undefined; // the next scroll to the top asks again
      })
      .finally(() => rerender());
  };

  useLayoutEffect(() => {
    const element = list.current;
    if (!element) return;
    if (keepFromBottom.current !== undefined && !messageWindow.loading) {
      element.scrollTop = element.scrollHeight - keepFromBottom.current;
      keepFromBottom.current = undefined;
    } else if (stickToBottom.current) {
      element.scrollTop = element.scrollHeight;
    }
    // At the top, or too few messages to scroll: fetch further back.
    if (element.scrollTop < LOAD_OLDER_PX) loadOlder();
  });

  const onScroll = () => {
    const element = list.current;
    if (!element) return;
    stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < STICK_TO_BOTTOM_PX;
    if (element.scrollTop < LOAD_OLDER_PX) loadOlder();
  };

  const heldIds = new Set(shown.map((message) => message.id));
  return (
    <div class="messages" ref={list} onScroll={onScroll}>
      <p class="history-edge">
        {messageWindow.atStart ? 'This is the beginning of the conversation.' : messageWindow.loading ? 'Loading…' : ''}
      </p>
      <ol class="message-list">
        {shown.map((message) => (
          <MessageItem
            key={message.id}
            chat={chat}
            conversation={conversation}
            message={message}
            selected={selected === message.id}
            onSelect={() => setSelected(selected === message.id ? undefined : message.id)}
            act={props.act}
            onReply={props.onReply}
            onEdit={props.onEdit}
          />
        ))}
        {acknowledged
          .filter((entry) => !entry.messageId || !heldIds.has(entry.messageId))
          .map((entry) => (
            <OutboxItem key={entry.clientMsgId} chat={chat} entry={entry} onDiscard={() => rerender()} />
          ))}
        {outbox.map((entry) => (
          <OutboxItem key={entry.clientMsgId} chat={chat} entry={entry} onDiscard={() => rerender()} />
        ))}
      </ol>
    </div>
  );
}
