import type { ChatClient, ConversationState, OutboxEntry } from '@chat/client';
import type { CurrentMessage } from '@chat/contracts';
import { timeOf, userLabel } from './display.js';
import { receiptStatus, type SendStatus } from './receipt-status.js';

/** The reactions offered in a message's actions; any emoji another client sent shows too. */
const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'];

const TICKS: Record<SendStatus, { mark: string; label: string }> = {
  pending: { mark: '🕓', label: 'sending' },
  failed: { mark: '!', label: 'not sent' },
  sent: { mark: '✓', label: 'sent' },
  delivered: { mark: '✓✓', label: 'delivered' },
  read: { mark: '✓✓', label: 'read' },
};

function Ticks({ status }: { status: SendStatus }) {
  const tick = TICKS[status];
  return (
    <span class={`ticks ${status}`} data-status={status} title={tick.label} role="img" aria-label={tick.label}>
      {tick.mark}
    </span>
  );
}

function ReplyQuote({
  chat,
  conversation,
  messageId,
}: {
  chat: ChatClient;
  conversation: ConversationState;
  messageId: string;
}) {
  const original = conversation.message(messageId);
  const text = !original ? 'a message' : original.deleted ? 'message deleted' : (original.body ?? '');
  return (
    <blockquote class="reply-quote">
      {original && <b>{userLabel(chat, original.message.senderId).name}</b>} {text}
    </blockquote>
  );
}

/** One stored message: sender (in groups), the message it answers, text, reactions, time and ticks; ⋯ shows its actions. */
export function MessageItem(props: {
  chat: ChatClient;
  conversation: ConversationState;
  message: CurrentMessage;
  selected: boolean;
  onSelect(): void;
  act(change: Promise<unknown>): void;
  onReply(messageId: string): void;
  onEdit(messageId: string, body: string): void;
}) {
  const { chat, conversation, message } = props;
  const me = chat.userId;
  const mine = message.senderId === me;
  const others = [...conversation.members].filter((id) => id !== me);
  const sender = userLabel(chat, message.senderId);
  const canDelete = !message.deleted && (mine || (conversation.kind === 'group' && conversation.ownerId === me));
  const toggle = (emoji: string, reacted: boolean) =>
    props.act(
      reacted ? chat.unreact(conversation.id, message.id, emoji) : chat.react(conversation.id, message.id, emoji),
    );
  return (
    <li
      class={`message ${mine ? 'mine' : 'theirs'}${message.deleted ? ' deleted' : ''}`}
      data-id={message.id}
      data-seq={message.seq}
    >
      <div class="bubble">
        {conversation.kind === 'group' && !mine && (
          <div class="sender">
            {sender.name} <span class="handle">{sender.login}</span>
          </div>
        )}
        {message.replyTo && <ReplyQuote chat={chat} conversation={conversation} messageId={message.replyTo} />}
        <p class="body">{message.deleted ? <em>message deleted</em> : message.body}</p>
        <footer class="meta">
          {message.editedAt && <span class="edited">edited</span>}
          <time dateTime={message.createdAt}>{timeOf(message.createdAt)}</time>
          {mine && <Ticks status={receiptStatus(message.seq, others, conversation.receipts)} />}
          {!message.deleted && conversation.member && (
            <button
              type="button"
              class="more"
              aria-label="Message actions"
              aria-expanded={props.selected}
              onClick={props.onSelect}
            >
              ⋯
            </button>
          )}
        </footer>
      </div>
      {message.reactions.length > 0 && (
        <ul class="reactions">
          {message.reactions.map((reaction) => (
            <li key={reaction.emoji}>
              <button
                type="button"
                class={`reaction${reaction.me ? ' me' : ''}`}
                data-emoji={reaction.emoji}
                onClick={() => toggle(reaction.emoji, reaction.me)}
              >
                {reaction.emoji} <span class="count">{reaction.count}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {props.selected && !message.deleted && conversation.member && (
        <div class="actions" role="toolbar" aria-label="Message actions">
          <button type="button" onClick={() => props.onReply(message.id)}>
            Reply
          </button>
          {QUICK_REACTIONS.map((emoji) => {
            const reacted = message.reactions.some((r) => r.emoji === emoji && r.me);
            return (
              <button
                type="button"
                key={emoji}
                class={`react${reacted ? ' me' : ''}`}
                aria-label={`React ${emoji}`}
                onClick={() => toggle(emoji, reacted)}
              >
                {emoji}
              </button>
            );
          })}
          {mine && (
            <button type="button" onClick={() => props.onEdit(message.id, message.body ?? '')}>
              Edit
            </button>
          )}
          {canDelete && (
            <button type="button" class="danger" onClick={() => props.act(chat.delete(conversation.id, message.id))}>
              Delete
            </button>
          )}
        </div>
      )}
    </li>
  );
}

/** A message of the user's on its way: acknowledged (until its push), pending (resent until acknowledged), or failed. */
export function OutboxItem({ chat, entry, onDiscard }: { chat: ChatClient; entry: OutboxEntry; onDiscard(): void }) {
  const status: SendStatus = entry.status === 'sent' ? 'sent' : entry.status;
  return (
    <li class={`message mine outgoing ${status}`} data-client-msg-id={entry.clientMsgId} data-outbox={status}>
      <div class="bubble">
        <p class="body">{entry.body}</p>
        <footer class="meta">
          {status === 'failed' && <span class="failure">Not sent: {entry.error?.message}</span>}
          <time>{timeOf(new Date(entry.createdAt).toISOString())}</time>
          <Ticks status={status} />
        </footer>
      </div>
      {status === 'failed' && (
        <div class="actions">
          <button type="button" onClick={() => chat.retrySend(entry.clientMsgId).catch(() => undefined)}>
            Retry
          </button>
          <button
            type="button"
            class="link"
            onClick={() => {
              chat.discard(entry.clientMsgId);
              onDiscard();
            }}
          >
            Discard
          </button>
        </div>
      )}
    </li>
  );
}
