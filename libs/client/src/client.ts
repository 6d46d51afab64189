import type {
  AckFrame,
  ClientFrame,
  ClientFrameType,
  Conversation,
  ConversationRenamedEntry,
  CurrentMessage,
  LogEntry,
  MemberChangedEntry,
  MessageDeletedEntry,
  MessageEditedEntry,
  MessageNewFrame,
  MessageReadFrame,
  PresenceChangedFrame,
  PublicUser,
  ReactionChangedEntry,
  ReceiptChangedFrame,
  SessionConversation,
  SessionReadyFrame,
  SessionResyncFrame,
  TypingFrame,
  UserChangedFrame,
} from '@chat/contracts';
import { entryConversation, LOG_ENTRY_TYPES } from '@chat/contracts/browser';
import { AuthSession, type Session, type SessionEnd, type SessionTokens } from './auth-session.js';
import { type BackoffOptions, DEFAULT_BACKOFF, sleep } from './backoff.js';
import { Connection, type ConnectionState, type PushFrame } from './connection.js';
import type { ConversationState } from './conversation-state.js';
import { ConversationStore } from './conversation-store.js';
import { DeliveredReceipts } from './delivered-receipts.js';
import { Emitter } from './emitter.js';
import { ChatClientError, closedError } from './errors.js';
import { LogCatchUp } from './log-catch-up.js';
import { Outbox, type OutboxEntry, type SentMessage } from './outbox.js';
import { MemoryOutboxStorage, type OutboxStorage } from './outbox-storage.js';
import { type Presence, PresenceBook } from './presence-book.js';
import {
  chooseWebSocket,
  type FetchLike,
  globalFetch,
  type TokenTransport,
  type WebSocketChoice,
  type WebSocketConstructorLike,
} from './transport.js';
import { TypingTracker } from './typing-tracker.js';
import { UserDirectory } from './user-directory.js';

export interface ChatClientOptions {
  /** The auth service, e.g. `http://localhost:8080`. */
  authUrl: string;
  /** Edge WebSocket endpoints, e.g. `['ws://localhost:8081/ws', 'ws://localhost:8082/ws']`; tried in turn. */
  edgeUrls: string[];
  /** A WebSocket constructor; defaults to the global one (browsers, Node 22), else the `ws` package. */
  WebSocket?: WebSocketConstructorLike;
  /** Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /**
   * How the access token reaches the edge: `header` (only `ws` can set one) or `query`
   * (`?access_token=`, browsers). Defaults to `header` for `ws` and a given constructor, else `query`.
   */
  tokenTransport?: TokenTransport;
  /** Where unsent messages wait; defaults to memory (`IndexedDbOutboxStorage` survives a reload). */
  outbox?: OutboxStorage;
  /** Reconnect and resend backoff: `initialDelayMs * 2^attempt` (default 250 ms), capped at `maxDelayMs` (10 s), times 0.5-1. */
  reconnect?: Partial<BackoffOptions>;
  /** An answer not received in this time fails with `timeout` (and is repeated where safe). Default 10 s. */
  requestTimeoutMs?: number;
  /** A `ping` this often; no answer within `requestTimeoutMs` drops the socket. Default 15 s. */
  pingIntervalMs?: number;
  /** Refresh the access token this long before it expires (at most a quarter of its lifetime). Default 60 s. */
  refreshMarginMs?: number;
  /** `message.delivered` at most this often per conversation. Default 500 ms. */
  deliveredThrottleMs?: number;
  /** Check every conversation's head (`conversation.list`) this often; 0 (the default) never. See the README's limits. */
  syncIntervalMs?: number;
}

export interface ChatClientEvents {
  /** `connecting`, `ready`, `reconnecting`, `closed`. */
  state: (state: ConnectionState) => void;
  /** A socket opened a session; the resume of every conversation starts. */
  ready: (frame: SessionReadyFrame) => void;
  /** The session cannot go on (the refresh token was refused or reused, the account was deleted, logout); the client closed. */
  'session-ended': (end: SessionEnd) => void;
  /** New tokens (after a refresh): persist them if the app keeps sessions. */
  tokens: (session: Session) => void;
  /** Every log entry, once, in seq order per conversation, from a push or from `log.get`. */
  entry: (entry: LogEntry, conversation: ConversationState) => void;
  'message.new': (frame: MessageNewFrame, conversation: ConversationState) => void;
  'message.edited': (entry: MessageEditedEntry, conversation: ConversationState) => void;
  'message.deleted': (entry: MessageDeletedEntry, conversation: ConversationState) => void;
  'reaction.changed': (entry: ReactionChangedEntry, conversation: ConversationState) => void;
  'member.changed': (entry: MemberChangedEntry, conversation: ConversationState) => void;
  'conversation.renamed': (entry: ConversationRenamedEntry, conversation: ConversationState) => void;
  /** Outside the log: the user's read cursor moved on another device. */
  'message.read': (frame: MessageReadFrame) => void;
  /** Another member's delivered or read cursor moved. */
  'receipt.changed': (frame: ReceiptChangedFrame) => void;
  typing: (frame: TypingFrame) => void;
  /** A user's display name changed (theirs or a contact's); `user(id)` has it already. */
  'user.changed': (frame: UserChangedFrame) => void;
  /** The edge lost pushes for a moment (its broker connection): the client resumes every conversation from the log. */
  resync: (frame: SessionResyncFrame) => void;
  /** Only changes newer than the last one seen for that user (by `version`). */
  'presence.changed': (frame: PresenceChangedFrame) => void;
  /** Something about a conversation changed (entries applied, listing, unread, receipts). */
  conversation: (conversation: ConversationState) => void;
  /** An outbox entry changed status (pending, sent, failed). */
  outbox: (entry: OutboxEntry) => void;
}

/** After `session.resync`, the resume starts at a random moment within this long. */
const RESYNC_SPREAD_MS = 2_000;
/** A socket is not opened with a token that expires sooner than this: it is refreshed first. */
const MIN_TOKEN_VALID_MS = 5_000;
/**
 * A change's entry is pushed about when it is acked, a message's a moment after its ack (once
 * stored). Not applied after this long, the push was lost (a broker restart): fetch it.
 */
const PUSH_GRACE_MS = 2_000;
/** How many times an own message not yet held is looked for after its ack, PUSH_GRACE_MS apart. */
const OWN_MESSAGE_CHECKS = 5;
/**
 * An `unavailable` answer means the broker or the database had trouble, and pushes may have been
 * lost without the socket dropping. Once answers are good again, check every head this long after.
 */
const SYNC_AFTER_OUTAGE_MS = [1_000, 5_000];
/** A change or reply waits at most this long for the client to hold the message it is about. */
const HELD_WAIT_MS = 10_000;
const SETTLE_POLL_MS = 25;

/**
 * A chat client: logs in, keeps one socket to one of the edges (moving to the next when it
 * fails), resumes every conversation by seq after each connect, applies every log entry once in
 * seq order, and resends unacknowledged messages until the server acknowledges them.
 */
export class ChatClient extends Emitter<ChatClientEvents> {
  readonly #auth: AuthSession;
  readonly #connection: Connection;
  readonly #store: ConversationStore;
  readonly #catchUp: LogCatchUp;
  readonly #delivered: DeliveredReceipts;
  readonly #outbox: Outbox;
  readonly #presence = new PresenceBook();
  readonly #typing = new TypingTracker();
  readonly #users: UserDirectory;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #expecting = new Set<string>();
  #webSocket: Promise<WebSocketChoice> | undefined;
  #outboxLoaded: Promise<void> | undefined;
  #listRefresh: Promise<void> | undefined;
  #syncTimer: ReturnType<typeof setInterval> | undefined;
  #outage = false;
  #closed = false;

  constructor(options: ChatClientOptions) {
    super();
    const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.reconnect };
    const fetch = options.fetch ?? globalFetch();
    this.#auth = new AuthSession({
      authUrl: options.authUrl,
      fetch,
      refreshMarginMs: options.refreshMarginMs ?? 60_000,
      backoff,
    });
    this.#users = new UserDirectory({
      authUrl: options.authUrl,
      fetch,
      accessToken: () => this.#auth.freshAccessToken(MIN_TOKEN_VALID_MS),
    });
    this.#connection = new Connection({
      edgeUrls: options.edgeUrls,
      webSocket: () => {
        this.#webSocket ??= chooseWebSocket(options.WebSocket, options.tokenTransport);
        return this.#webSocket;
      },
      tokens: {
        accessToken: () => this.#auth.freshAccessToken(MIN_TOKEN_VALID_MS),
        refused: () => this.#auth.refresh(),
      },
      backoff,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      pingIntervalMs: options.pingIntervalMs ?? 15_000,
    });
    this.#store = new ConversationStore('');
    this.#catchUp = new LogCatchUp(
      this.#connection,
      {
        apply: (entry) => this.#offer(entry, false),
        lost: (conversation) => {
          conversation.member = false;
          conversation.sequencer.settle();
          this.emit('conversation', conversation);
        },
      },
      backoff,
    );
    this.#delivered = new DeliveredReceipts({
      throttleMs: options.deliveredThrottleMs ?? 500,
      canSend: () => this.#connection.ready,
      send: (conversationId, seq) => this.#connection.request('message.delivered', { conversationId, seq }),
    });
    this.#outbox = new Outbox({
      storage: options.outbox ?? new MemoryOutboxStorage(),
      canSend: () => this.#connection.ready,
      backoff,
      send: async (record) => {
        const ack = await this.#connection.request('message.send', {
          conversationId: record.conversationId,
          body: record.body,
          clientMsgId: record.clientMsgId,
          ...(record.replyTo ? { replyTo: record.replyTo } : {}),
        });
        const messageId = String(ack.messageId);
        this.#expectMessage(record.conversationId, messageId, OWN_MESSAGE_CHECKS);
        return messageId;
      },
    });

    this.#auth.on('tokens', (session) => {
      this.#connection.reauthenticate(session.accessToken);
      this.emit('tokens', session);
    });
    this.#auth.on('ended', (end) => {
      this.emit('session-ended', end);
      this.close();
    });
    this.#outbox.on('change', (entry) => this.emit('outbox', entry));
    this.#connection.on('state', (state) => this.emit('state', state));
    this.#connection.on('ready', (frame) => this.#onReady(frame));
    this.#connection.on('push', (frame) => this.#onPush(frame));
    this.#connection.on('account-deleted', () =>
      this.#auth.end({ code: 'session_ended', reason: 'account_deleted', message: 'the account was deleted' }),
    );
    this.#connection.on('answer', (frame) => {
      if (frame.type === 'error' && frame.code === 'unavailable') this.#outage = true;
      else if (frame.type === 'ack' && this.#outage) {
        this.#outage = false;
        for (const delay of SYNC_AFTER_OUTAGE_MS) this.#later(delay, () => void this.sync().catch(() => undefined));
      }
    });
    const syncIntervalMs = options.syncIntervalMs ?? 0;
    if (syncIntervalMs > 0) {
      this.#syncTimer = setInterval(() => {
        if (this.#connection.ready) this.sync().catch(() => undefined);
      }, syncIntervalMs);
    }
  }

  // ---- what the app reads ----

  get state(): ConnectionState {
    return this.#connection.state;
  }

  /** The logged-in user's id (from the token, then from session.ready). */
  get userId(): string | undefined {
    return this.#auth.userId;
  }

  get session(): Session | undefined {
    return this.#auth.current;
  }

  /** Which edge URL the client is on (or trying). */
  get edgeUrl(): string {
    return this.#connection.edgeUrl;
  }

  conversation(conversationId: string): ConversationState | undefined {
    return this.#store.get(conversationId);
  }

  conversations(): ConversationState[] {
    return this.#store.all();
  }

  /** Pending and failed messages, oldest first (a sent one leaves at its ack). */
  outbox(conversationId?: string): OutboxEntry[] {
    return this.#outbox.entries(conversationId);
  }

  /** The latest presence seen for a user (pushes, and `queryPresence` answers). */
  presence(userId: string): Presence | undefined {
    return this.#presence.get(userId);
  }

  /** The users typing in a conversation now (a `typing` push in the last 3 s, and no message since). */
  typingUsers(conversationId: string): string[] {
    return this.#typing.typing(conversationId);
  }

  /**
   * Resolves once the socket is ready, no conversation is behind (every announced entry applied,
   * nothing waiting behind a gap or being fetched) and no message is pending in the outbox.
   */
  async settled(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#closed) throw closedError();
      const behind = this.#store.all().some((c) => c.member && c.sequencer.behind);
      if (this.#connection.ready && !behind && this.#outbox.pending === 0 && this.#catchUp.running === 0) return;
      if (Date.now() > deadline) throw new ChatClientError('timeout', 'the client did not settle in time');
      await sleep(SETTLE_POLL_MS);
    }
  }

  // ---- auth ----

  /** POST /register: creates the account (does not log in). */
  register(login: string, password: string, displayName?: string): Promise<PublicUser> {
    return this.#auth.register(login, password, displayName);
  }

  /** POST /login: keeps the tokens and schedules their refresh. Call `connect()` next. */
  async login(login: string, password: string): Promise<Session> {
    const session = await this.#auth.login(login, password);
    this.#adoptUser();
    return session;
  }

  /** Uses tokens the app kept (or got elsewhere). */
  useSession(tokens: SessionTokens): Session {
    const session = this.#auth.use(tokens);
    this.#adoptUser();
    return session;
  }

  /**
   * POST /token/refresh now (the client also does it before expiry), then `auth.refresh` on the
   * open socket. A refused refresh token (spent, reused, revoked) ends the session.
   */
  refresh(): Promise<Session> {
    return this.#auth.refresh();
  }

  /**
   * POST /password: the account's other sessions end at once (their sockets close, their tokens
   * are refused); this client goes on with the new tokens, reconnecting once.
   */
  changePassword(currentPassword: string, newPassword: string): Promise<Session> {
    return this.#auth.changePassword(currentPassword, newPassword);
  }

  /** POST /logout: ends the session on the server too; the client closes with `session-ended`. */
  logout(): Promise<void> {
    return this.#auth.logout();
  }

  // ---- connection ----

  /** Opens the connection (after `login` or `useSession`); resolves at the first session.ready. */
  async connect(): Promise<void> {
    if (!this.#auth.current) throw new Error('log in (or useSession) before connect');
    if (this.#closed) throw closedError();
    this.#outboxLoaded ??= this.#outbox.load();
    await this.#outboxLoaded;
    await this.#connection.open();
  }

  /** Closes the socket and stops reconnecting; unsent messages stay in the outbox storage. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#auth.stop();
    this.#delivered.stop();
    this.#outbox.close();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (this.#syncTimer) clearInterval(this.#syncTimer);
    this.#connection.close();
  }

  /** Sends one frame and resolves with its ack (rejects with the error answer). No retry. */
  request<T extends ClientFrameType>(type: T, fields: ClientFrame<T>): Promise<AckFrame> {
    return this.#connection.request(type, fields);
  }

  /**
   * Asks the server for every conversation's head and fetches what this client misses. The client
   * does this by itself after every connect and after an outage; call it when the app has reason
   * to think it is behind.
   */
  async sync(): Promise<void> {
    await this.listConversations();
  }

  // ---- messages ----

  /**
   * Sends a message: resolves with its id once the server acknowledged it. Until then it is
   * `pending` in the outbox and resent (same clientMsgId, never a second message) after every
   * reconnect and `unavailable`; an answer that cannot change by resending (`forbidden`,
   * `not_found`, `too_large`, `bad_request`) makes it `failed` and rejects.
   */
  send(
    conversationId: string,
    body: string,
    options: { replyTo?: string; clientMsgId?: string } = {},
  ): Promise<SentMessage> {
    if (this.#closed) return Promise.reject(closedError());
    const record = {
      clientMsgId: options.clientMsgId ?? randomId(),
      conversationId,
      body,
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      createdAt: Date.now(),
    };
    // The server knows a message only once it is stored, a moment after its ack.
    const notBefore = options.replyTo ? this.#whenHeld(conversationId, options.replyTo) : undefined;
    return this.#outbox.add(record, notBefore);
  }

  /** Sends a failed message again (same clientMsgId). */
  retrySend(clientMsgId: string): Promise<SentMessage> {
    return this.#outbox.retry(clientMsgId);
  }

  /** Forgets a failed message. */
  discard(clientMsgId: string): void {
    this.#outbox.discard(clientMsgId);
  }

  /** `message.read` up to `seq` (default: everything applied); resolves with the cursor as it stands. */
  async markRead(conversationId: string, seq?: number): Promise<number> {
    const conversation = this.#store.get(conversationId);
    const upTo = seq ?? conversation?.appliedSeq ?? 0;
    const ack = await this.#connection.call('message.read', { conversationId, seq: upTo });
    const cursor = Number(ack.seq);
    if (conversation) {
      conversation.markReadUpTo(cursor);
      this.emit('conversation', conversation);
    }
    return cursor;
  }

  /**
   * Each change resolves with the seq of its log entry (`null` when nothing changed), repeated on
   * `unavailable` (safe: the server judges a repeat as the same change). A change about a message
   * waits until the client holds it, as the server knows it only once stored.
   */
  edit(conversationId: string, messageId: string, body: string): Promise<number | null> {
    return this.#change('message.edit', { conversationId, messageId, body });
  }

  delete(conversationId: string, messageId: string): Promise<number | null> {
    return this.#change('message.delete', { conversationId, messageId });
  }

  react(conversationId: string, messageId: string, emoji: string): Promise<number | null> {
    return this.#change('reaction.add', { conversationId, messageId, emoji });
  }

  unreact(conversationId: string, messageId: string, emoji: string): Promise<number | null> {
    return this.#change('reaction.remove', { conversationId, messageId, emoji });
  }

  rename(conversationId: string, title: string): Promise<number | null> {
    return this.#change('conversation.rename', { conversationId, title });
  }

  addMember(conversationId: string, userId: string): Promise<number | null> {
    return this.#change('conversation.add_member', { conversationId, userId });
  }

  removeMember(conversationId: string, userId: string): Promise<number | null> {
    return this.#change('conversation.remove_member', { conversationId, userId });
  }

  leave(conversationId: string): Promise<number | null> {
    return this.#change('conversation.leave', { conversationId });
  }

  // ---- conversations ----

  /** Opens (or finds) the direct conversation with a user, by id or login. */
  async openDirect(target: { userId: string } | { login: string }): Promise<ConversationState> {
    const ack = await this.#connection.call(
      'conversation.open_direct',
      target as ClientFrame<'conversation.open_direct'>,
    );
    return this.#adopt(ack.conversation as Conversation);
  }

  /** Creates a group. Not repeated on `unavailable`: a second create would make a second group. */
  async createGroup(title: string, members: string[]): Promise<ConversationState> {
    await this.#connection.whenReady();
    const ack = await this.#connection.request('conversation.create_group', { title, members });
    return this.#adopt(ack.conversation as Conversation);
  }

  /** `conversation.list`: refreshes titles, members, heads and unread counts, and fetches what is behind. */
  async listConversations(): Promise<ConversationState[]> {
    const ack = await this.#connection.call('conversation.list', {});
    return (ack.conversations as SessionConversation[]).map((listing) => this.#adopt(listing));
  }

  /** `conversation.receipts`: every member's delivered and read cursors. */
  async receipts(conversationId: string): Promise<Array<{ userId: string; deliveredSeq: number; readSeq: number }>> {
    const ack = await this.#connection.call('conversation.receipts', { conversationId });
    const receipts = ack.receipts as Array<{ userId: string; deliveredSeq: number; readSeq: number }>;
    const conversation = this.#store.get(conversationId);
    if (conversation) {
      for (const r of receipts)
        conversation.receipts.set(r.userId, { deliveredSeq: r.deliveredSeq, readSeq: r.readSeq });
      this.emit('conversation', conversation);
    }
    return receipts;
  }

  /** `history.get` as the server folds it (to compare, or for pages the app shows without holding them). */
  async history(query: ClientFrame<'history.get'>): Promise<CurrentMessage[]> {
    const ack = await this.#connection.call('history.get', query);
    return ack.messages as CurrentMessage[];
  }

  // ---- typing and presence ----

  /** Tells the other members you are typing: call it on every keystroke, it sends at most one a second. */
  typing(conversationId: string): void {
    if (!this.#connection.ready || !this.#typing.shouldSend(conversationId)) return;
    this.#connection.request('typing', { conversationId }).catch(() => undefined);
  }

  /** `presence.query` (at most 100 ids): who is online now; the answers fill `presence()`. */
  async queryPresence(userIds: string[]): Promise<Presence[]> {
    const ack = await this.#connection.call('presence.query', { userIds });
    const answers = ack.presence as Presence[];
    this.#presence.takeQuery(answers);
    return answers;
  }

  // ---- users ----

  /** Names for user ids (`senderId`, `members`) from `GET /users?ids=`: each id is asked once per client; unknown ids are left out. */
  users(userIds: Iterable<string>): Promise<PublicUser[]> {
    return this.#users.lookup(userIds);
  }

  /** A user already looked up (by `users` or `searchUsers`). */
  user(userId: string): PublicUser | undefined {
    return this.#users.get(userId);
  }

  /** `GET /users?login=<prefix>` (3-32 characters): at most 20 users; auth allows 30 searches a minute. */
  searchUsers(loginPrefix: string): Promise<PublicUser[]> {
    return this.#users.search(loginPrefix);
  }

  // ---- internals ----

  #adoptUser(): void {
    const userId = this.#auth.userId;
    if (userId) this.#store.selfId = userId;
  }

  #onReady(frame: SessionReadyFrame): void {
    this.#store.selfId = frame.userId;
    for (const conversation of this.#store.takeSessionListing(frame.conversations)) {
      this.emit('conversation', conversation);
    }
    if (frame.online) {
      const contacts = new Set(frame.conversations.flatMap((conversation) => conversation.members));
      contacts.delete(frame.userId);
      this.#presence.takeSnapshot(contacts, frame.online);
    }
    this.emit('ready', frame);
    // Resume: every conversation the server is ahead in, from the seq this client holds.
    for (const conversation of this.#store.all()) {
      if (conversation.member && conversation.sequencer.behind) this.#catchUp.fetch(conversation);
      this.#delivered.applied(conversation);
    }
    this.#outbox.flushAll();
  }

  #onPush(frame: PushFrame): void {
    switch (frame.type) {
      case 'user.changed':
        this.#users.changed(frame.user);
        this.emit('user.changed', frame);
        return;
      case 'session.resync':
        // Every socket of the node gets this at once: spread the resumes so they do not arrive together.
        this.#later(Math.random() * RESYNC_SPREAD_MS, () => void this.sync().catch(() => undefined));
        this.emit('resync', frame);
        return;
      case 'message.read': {
        const conversation = this.#store.get(frame.conversationId);
        if (conversation && frame.userId === this.userId) {
          conversation.markReadUpTo(frame.seq);
          this.emit('conversation', conversation);
        }
        this.emit('message.read', frame);
        return;
      }
      case 'receipt.changed': {
        const conversation = this.#store.get(frame.conversationId);
        if (conversation) {
          conversation.receipts.set(frame.userId, { deliveredSeq: frame.deliveredSeq, readSeq: frame.readSeq });
          this.emit('conversation', conversation);
        }
        this.emit('receipt.changed', frame);
        return;
      }
      case 'typing':
        this.#typing.seen(frame.conversationId, frame.userId);
        this.emit('typing', frame);
        return;
      case 'presence.changed':
        if (this.#presence.takePush(frame)) this.emit('presence.changed', frame);
        return;
      default:
        if (LOG_ENTRY_TYPES.has(frame.type)) this.#offer(frame as LogEntry, true);
    }
  }

  /** A push or a fetched entry: through the sequencer, so each is applied once, in seq order. */
  #offer(entry: LogEntry, fromPush: boolean): void {
    const conversationId = entryConversation(entry);
    const known = this.#store.has(conversationId);
    const conversation = this.#store.ensure(conversationId);
    if (!known) void this.#refreshListing();
    const released = conversation.sequencer.offer(entry);
    for (const next of released) {
      conversation.apply(next);
      if (next.type === 'message.new') this.#typing.stopped(conversationId, next.message.senderId);
      this.#emitEntry(next, conversation);
    }
    if (released.length > 0) {
      this.#delivered.applied(conversation);
      this.emit('conversation', conversation);
    }
    // A push past a gap: the entries between were lost on the way; fetch them.
    if (fromPush && conversation.sequencer.waiting > 0) this.#catchUp.fetch(conversation);
  }

  #emitEntry(entry: LogEntry, conversation: ConversationState): void {
    this.emit('entry', entry, conversation);
    switch (entry.type) {
      case 'message.new':
        this.emit('message.new', entry, conversation);
        return;
      case 'message.edited':
        this.emit('message.edited', entry, conversation);
        return;
      case 'message.deleted':
        this.emit('message.deleted', entry, conversation);
        return;
      case 'reaction.changed':
        this.emit('reaction.changed', entry, conversation);
        return;
      case 'member.changed':
        this.emit('member.changed', entry, conversation);
        return;
      case 'conversation.renamed':
        this.emit('conversation.renamed', entry, conversation);
        return;
    }
  }

  async #change(type: ClientFrameType, fields: Record<string, unknown>): Promise<number | null> {
    const conversationId = String(fields.conversationId);
    if (typeof fields.messageId === 'string') await this.#whenHeld(conversationId, fields.messageId);
    const ack = await this.#connection.call(type, fields as ClientFrame<typeof type>);
    const seq = typeof ack.seq === 'number' ? ack.seq : null;
    const conversation = this.#store.get(conversationId);
    if (seq !== null && conversation) {
      conversation.sequencer.announce(seq);
      this.#expectEntries(conversation);
    }
    return seq;
  }

  #adopt(listing: Conversation & Partial<SessionConversation>): ConversationState {
    const conversation = this.#store.take(listing);
    this.emit('conversation', conversation);
    if (conversation.member && conversation.sequencer.behind) this.#catchUp.fetch(conversation);
    return conversation;
  }

  /** A push for a conversation this client did not know: learn its title and members. */
  #refreshListing(): Promise<void> {
    this.#listRefresh ??= this.listConversations()
      .then(
        () => undefined,
        () => undefined, // the next session.ready lists it
      )
      .finally(() => {
        this.#listRefresh = undefined;
      });
    return this.#listRefresh;
  }

  /** Entries were announced (an ack's seq): their pushes should follow; if not, fetch them. */
  #expectEntries(conversation: ConversationState): void {
    if (this.#expecting.has(conversation.id)) return;
    this.#expecting.add(conversation.id);
    this.#later(PUSH_GRACE_MS, () => {
      this.#expecting.delete(conversation.id);
      if (conversation.member && conversation.sequencer.behind) this.#catchUp.fetch(conversation);
    });
  }

  /** An own message was acked: its push should follow once it is stored; if not, fetch it. */
  #expectMessage(conversationId: string, messageId: string, checksLeft: number): void {
    this.#later(PUSH_GRACE_MS, () => {
      const conversation = this.#store.get(conversationId);
      if (!conversation?.member || conversation.message(messageId)) return;
      this.#catchUp.fetch(conversation);
      if (checksLeft > 1) this.#expectMessage(conversationId, messageId, checksLeft - 1);
    });
  }

  /** Resolves once this client holds the message (or after HELD_WAIT_MS: the server then judges). */
  #whenHeld(conversationId: string, messageId: string): Promise<void> {
    if (this.#store.get(conversationId)?.message(messageId)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, HELD_WAIT_MS);
      const off = this.on('message.new', (frame) => {
        if (frame.message.id === messageId) done();
      });
      function done() {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  #later(delayMs: number, run: () => void): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) run();
    }, delayMs);
    this.#timers.add(timer);
  }
}

function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  return `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}
