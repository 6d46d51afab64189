import type { ChatClient } from '@chat/client';
import type { PublicUser } from '@chat/contracts';
import { useState } from 'preact/hooks';
import { problemText } from './display.js';
import { findByLogin, OneFieldForm, Problem, useSubmit } from './forms.js';

/** Find people by the start of their login; pick one to open the direct chat with them. */
export function NewDirect({ chat, onOpened }: { chat: ChatClient; onOpened(id: string): void }) {
  const [found, setFound] = useState<PublicUser[]>();
  const search = useSubmit(async (form) => {
    const prefix = String(form.get('login') ?? '')
      .trim()
      .replace(/^@/, '');
    if (prefix.length < 3) throw new Error('Type at least 3 characters of the login.');
    setFound((await chat.searchUsers(prefix)).filter((user) => user.id !== chat.userId));
  });
  const open = async (user: PublicUser) => {
    try {
      onOpened((await chat.openDirect({ userId: user.id })).id);
    } catch (error) {
      search.setProblem(problemText(error));
    }
  };
  return (
    <section class="new-panel" aria-label="New chat">
      <OneFieldForm submit={search} name="login" label="Login" placeholder="Find by login" button="Search" />
      {found && found.length === 0 && <p class="empty">Nobody found.</p>}
      {found && found.length > 0 && (
        <ul class="found">
          {found.map((user) => (
            <li key={user.id}>
              <button type="button" class="found-user" data-login={user.login} onClick={() => open(user)}>
                {user.displayName} <span class="handle">@{user.login}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** A group: a title and the logins of its first members (the creator is one). */
export function NewGroup({ chat, onOpened }: { chat: ChatClient; onOpened(id: string): void }) {
  const create = useSubmit(async (form) => {
    const title = String(form.get('title') ?? '').trim();
    const logins = String(form.get('members') ?? '')
      .split(/[\s,]+/)
      .filter(Boolean);
    const members = await Promise.all(logins.map((login) => findByLogin(chat, login)));
    const group = await chat.createGroup(
      title,
      members.map((user) => user.id),
    );
    onOpened(group.id);
  });
  return (
    <section class="new-panel" aria-label="New group">
      <form class="stacked-form" onSubmit={create.onSubmit}>
        <input name="title" placeholder="Group title" aria-label="Group title" required maxLength={100} />
        <input name="members" placeholder="Members' logins, comma-separated" aria-label="Members" />
        <button type="submit" class="primary" disabled={create.busy}>
          Create group
        </button>
      </form>
      <Problem text={create.problem} />
    </section>
  );
}
