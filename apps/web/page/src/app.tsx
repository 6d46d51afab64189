import type { ChatClient, SessionEnd } from '@chat/client';
import { useEffect, useState } from 'preact/hooks';
import { ChatScreen } from './chat-screen.js';
import { restoreClient } from './client-session.js';
import { LoginScreen } from './login-screen.js';
import type { PageConfig } from './page-config.js';

const END_NOTICES: Record<SessionEnd['reason'], string> = {
  logged_out: 'You logged out.',
  refresh_refused: 'Your session ended (signed out elsewhere, or the password changed): log in again.',
  account_deleted: 'The account was deleted.',
};

/** The login screen until there is a session, then the chat; back to the login when it ends. */
export function App({ config }: { config: PageConfig }) {
  const [chat, setChat] = useState<ChatClient | undefined>(() => restoreClient(config));
  const [notice, setNotice] = useState<string>();
  useEffect(() => {
    if (!chat) return;
    return chat.on('session-ended', (end) => {
      setNotice(END_NOTICES[end.reason]);
      setChat(undefined);
    });
  }, [chat]);
  return chat ? (
    <ChatScreen chat={chat} />
  ) : (
    <LoginScreen
      config={config}
      notice={notice}
      onLoggedIn={(client) => {
        setNotice(undefined);
        setChat(client);
      }}
    />
  );
}
