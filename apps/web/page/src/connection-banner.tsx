import type { ChatClient } from '@chat/client';

const TEXT = {
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected.',
} as const;

/** Shown while the page has no live connection; what the user sends meanwhile waits and is counted. */
export function ConnectionBanner({ chat }: { chat: ChatClient }) {
  const state = chat.state;
  if (state !== 'connecting' && state !== 'reconnecting' && state !== 'closed') return null;
  const waiting = chat.outbox().filter((entry) => entry.status === 'pending').length;
  return (
    <div class="banner" role="status" data-state={state}>
      {TEXT[state]}
      {waiting > 0 && ` ${waiting} ${waiting === 1 ? 'message waits' : 'messages wait'} to be sent.`}
    </div>
  );
}
