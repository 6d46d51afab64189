import type { ChatClient } from '@chat/client';
import { useState } from 'preact/hooks';
import { createClient, saveSession } from './client-session.js';
import { Problem, useSubmit } from './forms.js';
import type { PageConfig } from './page-config.js';

/** Log in, or create an account and log in with it. */
export function LoginScreen(props: {
  config: PageConfig;
  notice?: string | undefined;
  onLoggedIn(chat: ChatClient): void;
}) {
  const [registering, setRegistering] = useState(false);
  const login = useSubmit(async (form) => {
    const name = String(form.get('login') ?? '').trim();
    const password = String(form.get('password') ?? '');
    const displayName = String(form.get('displayName') ?? '').trim();
    const chat = createClient(props.config);
    try {
      if (registering) await chat.register(name, password, displayName || undefined);
      saveSession(await chat.login(name, password));
    } catch (error) {
      chat.close();
      throw error;
    }
    props.onLoggedIn(chat);
  });

  return (
    <main class="login-screen">
      <form class="login-form" onSubmit={login.onSubmit}>
        <h1>Chat</h1>
        {props.notice && <p class="notice">{props.notice}</p>}
        <label>
          Login
          <input name="login" autocomplete="username" required minLength={3} maxLength={32} />
        </label>
        {registering && (
          <label>
            Display name <span class="hint">(optional)</span>
            <input name="displayName" maxLength={64} />
          </label>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete={registering ? 'new-password' : 'current-password'}
            required
            minLength={8}
          />
        </label>
        <Problem text={login.problem} />
        <button type="submit" class="primary" disabled={login.busy}>
          {registering ? 'Create account' : 'Log in'}
        </button>
        <button type="button" class="link" onClick={() => setRegistering(!registering)}>
          {registering ? 'I have an account: log in' : 'New here? Create an account'}
        </button>
      </form>
    </main>
  );
}
