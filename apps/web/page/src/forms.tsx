import type { ChatClient } from '@chat/client';
import type { PublicUser } from '@chat/contracts';
import { useState } from 'preact/hooks';
import { problemText } from './display.js';

/** The user with exactly this login, found through the login search (auth lowercases logins). */
export async function findByLogin(chat: ChatClient, login: string): Promise<PublicUser> {
  const wanted = login.trim().replace(/^@/, '').toLowerCase();
  const found = (await chat.searchUsers(wanted)).find((user) => user.login === wanted);
  if (!found) throw new Error(`No user @${wanted}.`);
  return found;
}

/**
 * A form's submit handler: the button stays disabled while it runs, a failure is shown, and with
 * `reset` the form is emptied once it succeeded.
 */
export function useSubmit(run: (form: FormData) => Promise<void>, options: { reset?: boolean } = {}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    setBusy(true);
    setProblem(undefined);
    try {
      await run(new FormData(form));
      if (options.reset) form.reset();
    } catch (error) {
      setProblem(problemText(error));
    } finally {
      setBusy(false);
    }
  };
  return { busy, problem, setProblem, onSubmit };
}

export function Problem({ text }: { text: string | undefined }) {
  return text ? (
    <p class="problem" role="alert">
      {text}
    </p>
  ) : null;
}

/** One field and its button, with what went wrong below: search, rename, add a member. */
export function OneFieldForm(props: {
  submit: ReturnType<typeof useSubmit>;
  name: string;
  label: string;
  button: string;
  placeholder?: string;
  defaultValue?: string | undefined;
  maxLength?: number;
}) {
  const { submit } = props;
  return (
    <>
      <form class="inline-form" onSubmit={submit.onSubmit}>
        <input
          name={props.name}
          aria-label={props.label}
          placeholder={props.placeholder}
          defaultValue={props.defaultValue}
          maxLength={props.maxLength}
          required
        />
        <button type="submit" disabled={submit.busy}>
          {props.button}
        </button>
      </form>
      <Problem text={submit.problem} />
    </>
  );
}
