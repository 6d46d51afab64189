import {
  ChatClient,
  IndexedDbOutboxStorage,
  MemoryOutboxStorage,
  type OutboxRecord,
  type OutboxStorage,
  type Session,
} from '@chat/client';
import type { PageConfig } from './page-config.js';

/**
 * The tab's session: kept in sessionStorage so a reload stays logged in. Not localStorage: two
 * tabs sharing one refresh token would both spend it, and the server takes a reused refresh
 * token for a stolen one and ends the session.
 */
const SESSION_KEY = 'chat.session';

/** Reconnect quickly: a person is waiting (the SDK's default cap is 10 s). */
const RECONNECT = { initialDelayMs: 250, maxDelayMs: 4_000 };

/**
 * Unsent messages wait in IndexedDB, one database per user, so they survive a reload and a
 * second account in this browser never sends the first one's. The user is known only after the
 * login, which the same client does: the database is chosen at first use.
 */
class UserOutboxStorage implements OutboxStorage {
  readonly #userId: () => string | undefined;
  #storage: OutboxStorage | undefined;

  constructor(userId: () => string | undefined) {
    this.#userId = userId;
  }

  load(): Promise<OutboxRecord[]> {
    return this.#current().load();
  }

  put(record: OutboxRecord): Promise<void> {
    return this.#current().put(record);
  }

  remove(clientMsgId: string): Promise<void> {
    return this.#current().remove(clientMsgId);
  }

  #current(): OutboxStorage {
    if (this.#storage) return this.#storage;
    const userId = this.#userId();
    if (!userId) throw new Error('the outbox is used before the login');
    this.#storage =
      typeof indexedDB === 'undefined'
        ? new MemoryOutboxStorage()
        : new IndexedDbOutboxStorage(`chat-outbox-${userId}`);
    return this.#storage;
  }
}

/** A client for this page; its tokens are kept in the tab as they are renewed. */
export function createClient(config: PageConfig): ChatClient {
  const client: ChatClient = new ChatClient({
    authUrl: config.authUrl,
    edgeUrls: config.edgeUrls,
    outbox: new UserOutboxStorage(() => client.userId),
    reconnect: RECONNECT,
  });
  client.on('tokens', saveSession);
  client.on('session-ended', () => sessionStorage.removeItem(SESSION_KEY));
  return client;
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

/** The client of the session this tab kept, if any (a reload). */
export function restoreClient(config: PageConfig): ChatClient | undefined {
  const saved = sessionStorage.getItem(SESSION_KEY);
  if (!saved) return undefined;
  try {
    const client = createClient(config);
    client.useSession(JSON.parse(saved) as Session);
    return client;
  } catch {
    sessionStorage.removeItem(SESSION_KEY);
    return undefined;
  }
}
