import type { ChatClient, ChatClientEvents } from '@chat/client';
import { useEffect, useRef, useState } from 'preact/hooks';

/** The SDK events after which the page may look different. */
const UPDATE_EVENTS: Array<keyof ChatClientEvents> = [
  'state',
  'ready',
  'conversation',
  'outbox',
  'typing',
  'presence.changed',
  'receipt.changed',
  'message.read',
  'user.changed',
];

/** Events often come in bursts (a catch-up applies hundreds of entries): one render per burst. */
const RENDER_BATCH_MS = 16;
/** Ids one `presence.query` may ask about. */
const PRESENCE_QUERY_MAX_IDS = 100;
/**
 * A contact the server answers `unknown` for is asked about again, after 1, 2, 4 and 8 s: the
 * edge learns of a new conversation's members through the broker, a moment after it is made.
 */
const PRESENCE_RETRY_MS = 1_000;
const PRESENCE_ASKS = 5;
/** Someone shows as typing for 3 s after their last `typing` push: look again after that. */
const TYPING_EXPIRY_CHECK_MS = 3_100;

/**
 * Re-renders the component whenever the SDK's state changed; the page reads everything it shows
 * straight from the client (`conversations()`, `messages()`, `outbox()`, `presence()`), so there
 * is no second copy of the state to keep in step.
 */
export function useChatUpdates(chat: ChatClient): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const render = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        setVersion((v) => v + 1);
      }, RENDER_BATCH_MS);
    };
    const offs = UPDATE_EVENTS.map((event) => chat.on(event, render));
    offs.push(chat.on('typing', () => setTimeout(render, TYPING_EXPIRY_CHECK_MS)));
    document.addEventListener('visibilitychange', render);
    return () => {
      for (const off of offs) off();
      document.removeEventListener('visibilitychange', render);
      if (timer) clearTimeout(timer);
    };
  }, [chat]);
  return version;
}

/** The user ids the page shows: the user, and every member of every conversation. */
function everyone(chat: ChatClient): Set<string> {
  const ids = new Set(chat.conversations().flatMap((conversation) => [...conversation.members]));
  if (chat.userId) ids.add(chat.userId);
  return ids;
}

/** Names for every user the page shows (the SDK asks auth once per id). */
export function useNames(chat: ChatClient, version: number): void {
  const [, setLearned] = useState(0);
  useEffect(() => {
    const ids = [...everyone(chat)].filter((id) => !chat.user(id));
    if (ids.length > 0)
      chat.users(ids).then(
        () => setLearned((n) => n + 1),
        () => undefined, // asked again at the next change
      );
  }, [chat, version]);
}

/**
 * Presence of every contact: `session.ready` and the pushes keep it. A contact the client has no
 * word of (someone a chat was just opened with) is asked about, and asked again while the server
 * answers `unknown` (it may not count them as a contact yet), a few times per connection.
 */
export function usePresence(chat: ChatClient, version: number): void {
  /** Per contact asked about on this connection: how often, and when last. */
  const asked = useRef(new Map<string, { times: number; atMs: number }>());
  const [retries, setRetries] = useState(0);
  const [, setAnswers] = useState(0);
  const retryTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => chat.on('ready', () => asked.current.clear()), [chat]);
  useEffect(() => () => clearTimeout(retryTimer.current), []);
  /** Whoever is still unknown is looked at again once their next ask is due. */
  const retryLater = (delayMs: number) => {
    retryTimer.current ??= setTimeout(() => {
      retryTimer.current = undefined;
      setRetries((n) => n + 1);
    }, delayMs);
  };
  useEffect(() => {
    if (chat.state !== 'ready') return;
    const now = Date.now();
    const batch = [...everyone(chat)]
      .filter((id) => {
        if (id === chat.userId || presenceKnown(chat, id)) return false;
        const before = asked.current.get(id);
        return !before || (before.times < PRESENCE_ASKS && now - before.atMs >= askDelayMs(before.times));
      })
      .slice(0, PRESENCE_QUERY_MAX_IDS);
    if (batch.length === 0) return;
    const times = Math.max(...batch.map((id) => asked.current.get(id)?.times ?? 0)) + 1;
    for (const id of batch) asked.current.set(id, { times: (asked.current.get(id)?.times ?? 0) + 1, atMs: now });
    const again = () => retryLater(askDelayMs(times));
    chat.queryPresence(batch).then((answers) => {
      // The SDK emits nothing for an answer (only pushes are events): show it now.
      setAnswers((n) => n + 1);
      if (answers.some((answer) => answer.status === 'unknown')) again();
    }, again);
  }, [chat, version, retries]);
}

/** How long after its `times`-th ask a contact still unknown is asked again. */
function askDelayMs(times: number): number {
  return PRESENCE_RETRY_MS * 2 ** (times - 1);
}

function presenceKnown(chat: ChatClient, userId: string): boolean {
  const status = chat.presence(userId)?.status;
  return status === 'online' || status === 'offline';
}
