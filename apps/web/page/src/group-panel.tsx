import type { ChatClient, ConversationState } from '@chat/client';
import { userText } from './display.js';
import { findByLogin, OneFieldForm, useSubmit } from './forms.js';
import { PresenceDot } from './presence-dot.js';

/** A group's title and members: its owner renames it and removes members; any member adds one or leaves. */
export function GroupPanel(props: {
  chat: ChatClient;
  conversation: ConversationState;
  act(change: Promise<unknown>): void;
}) {
  const { chat, conversation } = props;
  const me = chat.userId;
  const owner = conversation.ownerId !== undefined && conversation.ownerId === me;
  const rename = useSubmit(async (form) => {
    await chat.rename(conversation.id, String(form.get('title') ?? '').trim());
  });
  const add = useSubmit(
    async (form) => {
      const user = await findByLogin(chat, String(form.get('login') ?? ''));
      await chat.addMember(conversation.id, user.id);
    },
    { reset: true },
  );
  return (
    <aside class="group-panel" aria-label="Group members">
      {owner && (
        <OneFieldForm
          submit={rename}
          name="title"
          label="Group title"
          button="Rename"
          defaultValue={conversation.title}
          maxLength={100}
        />
      )}
      <ul class="members">
        {[...conversation.members].map((id) => (
          <li key={id} class="member">
            <PresenceDot chat={chat} userId={id} />
            <span class="member-name">{userText(chat, id)}</span>
            {id === conversation.ownerId && <span class="tag">owner</span>}
            {owner && id !== me && (
              <button type="button" class="link" onClick={() => props.act(chat.removeMember(conversation.id, id))}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {conversation.member && (
        <OneFieldForm submit={add} name="login" label="Add member by login" placeholder="Add by login" button="Add" />
      )}
      {conversation.member && (
        <button type="button" class="link danger" onClick={() => props.act(chat.leave(conversation.id))}>
          Leave group
        </button>
      )}
    </aside>
  );
}
