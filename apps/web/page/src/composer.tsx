import type { ChatClient, ConversationState } from '@chat/client';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { userLabel } from './display.js';

/** What the composer writes: a new message, a reply to one, or a new text for one of yours. */
export type Draft =
  | { kind: 'new' }
  | { kind: 'reply'; messageId: string }
  | { kind: 'edit'; messageId: string; body: string };

function quoted(chat: ChatClient, conversation: ConversationState, messageId: string): string {
  const message = conversation.message(messageId);
  if (!message) return 'a message';
  const text = message.deleted ? 'message deleted' : (message.body ?? '');
  return `${userLabel(chat, message.message.senderId).name}: ${text.length > 80 ? `${text.slice(0, 80)}…` : text}`;
}

export function Composer(props: {
  chat: ChatClient;
  conversation: ConversationState;
  draft: Draft;
  act(change: Promise<unknown>): void;
  onDone(): void;
}) {
  const { chat, conversation, draft } = props;
  // An edit starts from the message's text; the conversation view gives each edit a composer of its own.
  const [text, setText] = useState(draft.kind === 'edit' ? draft.body : '');
  const input = useRef<HTMLTextAreaElement>(null);
  useLayoutEffect(() => {
    if (draft.kind !== 'new') input.current?.focus();
  }, [draft]);

  const submit = (event?: Event) => {
    event?.preventDefault();
    // What the box holds now, even if a keystroke's render has not run yet.
    const body = (input.current?.value ?? text).trim();
    if (!body) return;
    if (draft.kind === 'edit') props.act(chat.edit(conversation.id, draft.messageId, body));
    // A send that fails shows in the list as failed, with Retry.
    else
      chat
        .send(conversation.id, body, draft.kind === 'reply' ? { replyTo: draft.messageId } : {})
        .catch(() => undefined);
    setText('');
    props.onDone();
  };
  const cancel = () => props.onDone();

  return (
    <form class="composer" onSubmit={submit}>
      {draft.kind !== 'new' && (
        <div class="draft-note">
          <span>
            {draft.kind === 'reply'
              ? `Replying to ${quoted(chat, conversation, draft.messageId)}`
              : 'Editing your message'}
          </span>
          <button type="button" class="link" onClick={cancel} aria-label="Cancel">
            ×
          </button>
        </div>
      )}
      <div class="composer-row">
        <textarea
          ref={input}
          name="body"
          rows={1}
          placeholder="Message"
          aria-label="Message"
          value={text}
          onInput={(event) => {
            setText(event.currentTarget.value);
            chat.typing(conversation.id);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey) submit(event);
            else if (event.key === 'Escape') cancel();
          }}
        />
        <button type="submit" class="primary">
          {draft.kind === 'edit' ? 'Save' : 'Send'}
        </button>
      </div>
    </form>
  );
}
