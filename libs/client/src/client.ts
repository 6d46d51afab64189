import type {
  AckFrame,
  ChangeEntry,
  ClientFrame,
  ClientFrameType,
  Conversation,
  ConversationRenamedEntry,
  ErrorCode,
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
  ServerFrame,
  SessionConversation,
  SessionReadyFrame,
  TokenPair,
  TypingFrame,
} from '@chat/contracts';
import { ConversationState, entryConversation, entrySeq } from './conversation.js';
import { Emitter } from './emitter.js';
import { ChatClientError } from './errors.js';
import { MemoryOutboxStorage, type OutboxEntry, type OutboxStorage } from './outbox.js';
import {
  type FetchLike,
  frameText,
  globalFetch,
  globalWebSocket,
  OPEN,
  type WebSocketConstructorLike,
  type WebSocketLike,
} from './transport.js';

export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

/** The tokens of a logged-in user. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch). */
  expiresAtMs: number;
}

export interface ChatClientOptions {
  /** The auth service, e.g. `http://localhost:8080`. */
  authUrl: string;
  /** Edge WebSocket endpoints, e.g. `['ws://localhost:8081/ws', 'ws://localhost:8082/ws']`; tried in turn. */
  edgeUrls: string[];
  /** A WebSocket constructor; defaults to the global one (browsers, Node 22). In Node 20 pass `ws`'s. */
  WebSocket?: WebSocketConstructorLike;
  /** Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /**
   * How the access token reaches the edge: an `Authorization` header (only `ws` can set one) or
   * `?access_token=` (browsers). Defaults to `header` when `WebSocket` is passed, else `query`.
   */
  tokenTransport?: 'header' | 'query';
  /** Where unsent messages wait; defaults to memory. */
  outbox?: OutboxStorage;
  /** Reconnect backoff: `initialDelayMs * 2^attempt`, capped at `maxDelayMs`, times a random 0.5-1. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** An answer not received in this time fails with `timeout` (and the outbox resends). Default 10 s. */
  requestTimeoutMs?: number;
  /** A `ping` this often; no answer within `requestTimeoutMs` drops the socket. Default 15 s. */
  pingIntervalMs?: number;
  /** Refresh the access token this long before it expires (at most a quarter of its lifetime). Default 60 s. */
  refreshMarginMs?: number;
  /** `message.delivered` at most this often per conversation. Default 500 ms. */
  deliveredThrottleMs?: number;
}

export interface SentMessage {
  messageId: string;
  clientMsgId: string;
  conversationId: string;
}

export interface ChatClientEvents {
  state: (state: ConnectionState) => void;
  /** A socket opened a session; the resume of every conversation starts. */
  ready: (frame: SessionReadyFrame) => void;
  /** The session cannot go on (the refresh token was refused or reused, the account was deleted); the client closed. */
  'session-ended': (reason: { code: string; message: string }) => void;
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
  /** Outside the log: a read cursor moved (yours on another device, or others'). */
  'message.read': (frame: MessageReadFrame) => void;
  'receipt.changed': (frame: ReceiptChangedFrame) => void;
  typing: (frame: TypingFrame) => void;
  /** Only changes newer than the last one seen for that user (by `version`). */
  'presence.changed': (frame: PresenceChangedFrame) => void;
  /** Something about a conversation changed (entries applied, listing, unread). */
  conversation: (conversation: ConversationState) => void;
  /** An outbox entry changed status (pending, sent, failed). */
  outbox: (entry: OutboxEntry) => void;
}

interface PendingRequest {
  resolve(ack: AckFrame): void;
  reject(error: ChatClientError): void;
  timer: ReturnType<typeof setTimeout>;
}

interface OutboxSlot {
  entry: OutboxEntry;
  inFlight: boolean;
  resolve?: (sent: SentMessage) => void;
  reject?: (error: ChatClientError) => void;
}

const LOG_PAGE = 500;
/** Of the 4 costly requests an edge allows in flight, the SDK uses at most this many. */
const COSTLY_IN_FLIGHT = 3;
const COSTLY: ReadonlySet<ClientFrameType> = new Set([
  'log.get',
  'conversation.list',
  'conversation.receipts',
  'presence.query',
  'conversation.add_member',
  'conversation.create_group',
]);
const LOG_TYPES: ReadonlySet<string> = new Set([
  'message.new',
  'message.edited',
  'message.deleted',
  'reaction.changed',
  'member.changed',
  'conversation.renamed',
]);

/**
 * A chat client: logs in, keeps one socket to one of the edges (moving to the next when it
 * fails), resumes every conversation by seq after each connect, applies every log entry once in
 * seq order, and resends unacknowledged messages until the server acknowledges them.
 */
export class ChatClient extends Emitter<ChatClientEvents> {
  readonly #options: Required<Omit<ChatClientOptions, 'WebSocket' | 'fetch' | 'outbox' | 'reconnect'>> & {
    initialDelayMs: number;
    maxDelayMs: number;
  };
  readonly #WebSocket: WebSocketConstructorLike | undefined;
  readonly #fetch: FetchLike | undefined;
  readonly #storage: OutboxStorage;

  #state: ConnectionState = 'idle';
  #session: Session | undefined;
  #userId: string | undefined;
  #socket: WebSocketLike | undefined;
  #socketReady = false;
  #everReady = false;
  #urlIndex = 0;
  #attempt = 0;
  #refCounter = 0;
  #lastSocketError = '';
  readonly #pending = new Map<string, PendingRequest>();
  readonly #conversations = new Map<string, ConversationState>();
  readonly #readyWaiters: Array<{ resolve(): void; reject(error: ChatClientError): void }> = [];
  readonly #outbox = new Map<string, OutboxSlot>();
  readonly #fetching = new Set<string>();
  readonly #unreadCountedTo = new Map<string, number>();
  readonly #deliveredSent = new Map<string, number>();
  readonly #deliveredTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #presence = new Map<string, PresenceChangedFrame>();
  #costlyInFlight = 0;
  readonly #costlyQueue: Array<() => void> = [];
  #refreshing: Promise<Session> | undefined;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  /** The access token the open socket was authenticated with. */
  #socketToken: string | undefined;
  #outboxLoaded: Promise<void> | undefined;
  #listRefresh: Promise<void> | undefined;

  constructor(options: ChatClientOptions) {
    super();
    if (options.edgeUrls.length === 0) throw new Error('ChatClient needs at least one edge URL');
    this.#WebSocket = options.WebSocket ?? globalWebSocket();
    this.#fetch = options.fetch ?? globalFetch();
    this.#storage = options.outbox ?? new MemoryOutboxStorage();
    this.#options = {
      authUrl: options.authUrl.replace(/\/+$/, ''),
      edgeUrls: [...options.edgeUrls],
      tokenTransport: options.tokenTransport ?? (options.WebSocket ? 'header' : 'query'),
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      pingIntervalMs: options.pingIntervalMs ?? 15_000,
      refreshMarginMs: options.refreshMarginMs ?? 60_000,
      deliveredThrottleMs: options.deliveredThrottleMs ?? 500,
      initialDelayMs: options.reconnect?.initialDelayMs ?? 250,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 10_000,
    };
  }

  // ---- state the app reads ----

  get state(): ConnectionState {
    return this.#state;
  }

  /** The logged-in user's id (from the token, then from session.ready). */
  get userId(): string | undefined {
    return this.#userId;
  }

  get session(): Session | undefined {
    return this.#session ? { ...this.#session } : undefined;
  }

  /** Which edge URL the client is on (or trying). */
  get edgeUrl(): string {
    return this.#options.edgeUrls[this.#urlIndex % this.#options.edgeUrls.length] ?? '';
  }

  conversation(conversationId: string): ConversationState | undefined {
    return this.#conversations.get(conversationId);
  }

  conversations(): ConversationState[] {
    return [...this.#conversations.values()];
  }

  /** Unsent, sent-but-not-forgotten and failed messages, oldest first. */
  outbox(conversationId?: string): OutboxEntry[] {
    return [...this.#outbox.values()]
      .map((slot) => ({ ...slot.entry }))
      .filter((entry) => conversationId === undefined || entry.conversationId === conversationId)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The latest presence seen for a user. */
  presence(userId: string): PresenceChangedFrame | undefined {
    return this.#presence.get(userId);
  }

  /**
   * Resolves once the socket is ready, no conversation is behind (every announced entry applied,
   * nothing buffered or being fetched) and no message is waiting in the outbox.
   */
  async settled(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#state === 'closed') throw new ChatClientError('closed', 'the client is closed');
      const behind = [...this.#conversations.values()].some(
        (c) => c.member && (c.appliedSeq < c.lastSeq || c.buffered.size > 0),
      );
      const unsent = [...this.#outbox.values()].some((slot) => slot.entry.status === 'pending');
      if (this.#socketReady && !behind && !unsent && this.#fetching.size === 0) return;
      if (Date.now() > deadline) throw new ChatClientError('timeout', 'the client did not settle in time');
      await sleep(25);
    }
  }

  // ---- auth over HTTP ----

  /** POST /register: creates the account (does not log in). */
  async register(login: string, password: string, displayName?: string): Promise<PublicUser> {
    return this.#http<PublicUser>('/register', { login, password, ...(displayName ? { displayName } : {}) });
  }

  /** POST /login: keeps the tokens and schedules their refresh. Call `connect()` next. */
  async login(login: string, password: string): Promise<Session> {
    const pair = await this.#http<TokenPair>('/login', { login, password });
    return this.useSession(pair);
  }

  /** Uses tokens the app kept (or got elsewhere). */
  useSession(tokens: { accessToken: string; refreshToken: string; expiresIn?: number; expiresAtMs?: number }): Session {
    const claims = jwtClaims(tokens.accessToken);
    const expiresAtMs =
      tokens.expiresAtMs ??
      (typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + (tokens.expiresIn ?? 900) * 1000);
    this.#session = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAtMs };
    if (typeof claims.sub === 'string') this.#userId = claims.sub;
    this.#scheduleRefresh(typeof claims.iat === 'number' ? expiresAtMs - claims.iat * 1000 : undefined);
    return { ...this.#session };
  }

  /**
   * POST /token/refresh now (the client also does it before expiry), then `auth.refresh` on the
   * open socket. A refused refresh token (spent, reused, revoked) ends the session.
   */
  refresh(): Promise<Session> {
    this.#refreshing ??= this.#doRefresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #doRefresh(): Promise<Session> {
    let attempt = 0;
    for (;;) {
      const session = this.#session;
      if (!session || this.#state === 'closed') throw new ChatClientError('closed', 'the client is closed');
      try {
        const pair = await this.#http<TokenPair>('/token/refresh', { refreshToken: session.refreshToken });
        const next = this.useSession(pair);
        this.emit('tokens', next);
        if (this.#socketReady) {
          this.#socketToken = next.accessToken;
          this.request('auth.refresh', { accessToken: next.accessToken }).catch(() => undefined);
        }
        return next;
      } catch (error) {
        const failure = asClientError(error);
        if (failure.code === 'unauthorized' || failure.code === 'bad_request') {
          this.#endSession('session_ended', `the refresh token was refused: ${failure.message}`);
          throw failure;
        }
        await sleep(this.#backoff(attempt++));
      }
    }
  }

  #scheduleRefresh(lifetimeMs?: number): void {
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    const session = this.#session;
    if (!session || this.#state === 'closed') return;
    const margin = Math.min(this.#options.refreshMarginMs, (lifetimeMs ?? Number.POSITIVE_INFINITY) / 4);
    const delay = Math.max(0, session.expiresAtMs - margin - Date.now());
    this.#refreshTimer = setTimeout(
      () => {
        this.refresh().catch(() => undefined);
      },
      Math.min(delay, 2 ** 31 - 1),
    );
  }

  async #http<T>(path: string, body: unknown): Promise<T> {
    const fetch = this.#fetch;
    if (!fetch) throw new Error('no fetch: pass one in the options');
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await fetch(`${this.#options.authUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new ChatClientError('unavailable', `auth unreachable: ${(error as Error).message}`);
    }
    const text = await response.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const code =
        (parsed?.error?.code as ErrorCode | undefined) ?? (response.status >= 500 ? 'unavailable' : 'internal');
      throw new ChatClientError(code, parsed?.error?.message ?? `HTTP ${response.status}`, response.status);
    }
    return parsed as T;
  }

  #endSession(code: string, message: string): void {
    if (this.#state === 'closed') return;
    this.emit('session-ended', { code, message });
    this.close();
  }

  // ---- connection ----

  /** Opens the connection (after `login` or `useSession`); resolves at the first session.ready. */
  async connect(): Promise<void> {
    if (!this.#session) throw new Error('log in (or useSession) before connect');
    if (this.#state === 'closed') throw new ChatClientError('closed', 'the client is closed');
    this.#outboxLoaded ??= this.#loadOutbox();
    await this.#outboxLoaded;
    if (this.#state === 'idle') {
      this.#setState('connecting');
      void this.#open();
    }
    await this.#whenReady();
  }

  /** Closes the socket and stops reconnecting; unsent messages stay in the outbox storage. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    for (const timer of [this.#refreshTimer, this.#reconnectTimer, this.#connectTimer]) if (timer) clearTimeout(timer);
    for (const timer of this.#deliveredTimers.values()) clearTimeout(timer);
    this.#deliveredTimers.clear();
    this.#stopPing();
    const socket = this.#socket;
    this.#socket = undefined;
    this.#socketReady = false;
    if (socket) {
      detach(socket);
      try {
        socket.close(1000, 'client closed');
      } catch {
        // already closing
      }
    }
    this.#failPending(new ChatClientError('closed', 'the client is closed'));
    for (const waiter of this.#readyWaiters.splice(0))
      waiter.reject(new ChatClientError('closed', 'the client is closed'));
    for (const slot of this.#outbox.values()) {
      if (slot.entry.status === 'pending')
        slot.reject?.(new ChatClientError('closed', 'the client closed before the ack'));
    }
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }

  async #open(): Promise<void> {
    if (this.#state === 'closed') return;
    const session = this.#session;
    const Ctor = this.#WebSocket;
    if (!session) return;
    if (!Ctor) throw new Error('no WebSocket: pass one in the options (ws in Node 20)');
    if (session.expiresAtMs - Date.now() < 5_000) {
      try {
        await this.refresh();
      } catch {
        return; // the session ended, or the client closed
      }
    }
    const token = this.#session?.accessToken ?? session.accessToken;
    const url = this.edgeUrl;
    this.#lastSocketError = '';
    let socket: WebSocketLike;
    try {
      socket =
        this.#options.tokenTransport === 'header'
          ? new Ctor(url, { headers: { Authorization: `Bearer ${token}` } })
          : new Ctor(withAccessToken(url, token));
    } catch (error) {
      this.#lastSocketError = (error as Error).message;
      this.#scheduleReconnect(false);
      return;
    }
    this.#socket = socket;
    this.#socketToken = token;
    // No session.ready in time (a black-holed address, a hung edge): give up on this one.
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = setTimeout(() => {
      if (socket !== this.#socket || this.#socketReady) return;
      try {
        socket.close(4000, 'connect timeout');
      } catch {
        // ignore
      }
      this.#onClose(socket, 4000, 'connect timeout');
    }, this.#options.requestTimeoutMs);
    socket.onmessage = (event) => this.#onFrame(socket, event.data);
    socket.onerror = (event) => {
      this.#lastSocketError = String(event?.message ?? event?.error?.message ?? '');
    };
    socket.onclose = (event) => this.#onClose(socket, Number(event?.code ?? 1006), String(event?.reason ?? ''));
  }

  #onClose(socket: WebSocketLike, code: number, _reason: string): void {
    if (socket !== this.#socket) return;
    detach(socket);
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    const wasReady = this.#socketReady;
    this.#socket = undefined;
    this.#socketReady = false;
    this.#stopPing();
    this.#failPending(new ChatClientError('disconnected', `the socket closed (${code})`));
    if (this.#state === 'closed') return;
    if (code === 4003) {
      this.#endSession('session_ended', 'the account was deleted');
      return;
    }
    this.#setState(this.#everReady ? 'reconnecting' : 'connecting');
    const refused = /\b401\b/.test(this.#lastSocketError);
    if (code === 4001 || refused) {
      // The token expired or was refused at the upgrade: refresh, then come back to the same edge.
      this.refresh().then(
        () => this.#scheduleReconnect(true),
        () => undefined,
      );
      return;
    }
    this.#urlIndex += 1;
    this.#scheduleReconnect(wasReady);
  }

  #scheduleReconnect(soon: boolean): void {
    if (this.#state === 'closed') return;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    const delay = soon ? Math.random() * this.#options.initialDelayMs : this.#backoff(this.#attempt++);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#open();
    }, delay);
  }

  #backoff(attempt: number): number {
    const base = Math.min(this.#options.maxDelayMs, this.#options.initialDelayMs * 2 ** Math.min(attempt, 20));
    return base * (0.5 + Math.random() / 2);
  }

  #startPing(socket: WebSocketLike): void {
    this.#stopPing();
    this.#pingTimer = setInterval(() => {
      if (socket !== this.#socket) return;
      this.request('ping', {}).catch((error: ChatClientError) => {
        if (error.code === 'timeout' && socket === this.#socket) {
          // A dead peer: drop the socket without waiting for the close handshake.
          try {
            socket.close(4000, 'ping timeout');
          } catch {
            // ignore
          }
          this.#onClose(socket, 4000, 'ping timeout');
        }
      });
    }, this.#options.pingIntervalMs);
  }

  #stopPing(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  #whenReady(): Promise<void> {
    if (this.#socketReady) return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new ChatClientError('closed', 'the client is closed'));
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  // ---- requests ----

  /** Sends one frame and resolves with its ack (rejects with the error answer). No retry. */
  request<T extends ClientFrameType>(type: T, fields: ClientFrame<T>): Promise<AckFrame> {
    const socket = this.#socket;
    if (!socket || !this.#socketReady || socket.readyState !== OPEN) {
      return Promise.reject(new ChatClientError('disconnected', 'not connected'));
    }
    this.#refCounter += 1;
    const ref = `c${this.#refCounter}`;
    return new Promise<AckFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(ref);
        reject(new ChatClientError('timeout', `no answer to ${type} in ${this.#options.requestTimeoutMs} ms`));
      }, this.#options.requestTimeoutMs);
      this.#pending.set(ref, { resolve, reject, timer });
      try {
        socket.send(JSON.stringify({ ...fields, type, ref }));
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(ref);
        reject(new ChatClientError('disconnected', (error as Error).message));
      }
    });
  }

  /** `request` that waits for a connection and repeats on `unavailable`, timeouts and drops. */
  async #retrying<T extends ClientFrameType>(type: T, fields: ClientFrame<T>): Promise<AckFrame> {
    let attempt = 0;
    for (;;) {
      await this.#whenReady();
      try {
        return await this.#costly(type, () => this.request(type, fields));
      } catch (error) {
        const failure = asClientError(error);
        if (!failure.retryable || this.#state === 'closed') throw failure;
        if (failure.code !== 'disconnected') await sleep(this.#backoff(attempt++));
      }
    }
  }

  async #costly<T>(type: ClientFrameType, run: () => Promise<T>): Promise<T> {
    if (!COSTLY.has(type)) return run();
    if (this.#costlyInFlight >= COSTLY_IN_FLIGHT) {
      await new Promise<void>((resolve) => this.#costlyQueue.push(resolve));
    } else {
      this.#costlyInFlight += 1;
    }
    try {
      return await run();
    } finally {
      const next = this.#costlyQueue.shift();
      if (next) next();
      else this.#costlyInFlight -= 1;
    }
  }

  #failPending(error: ChatClientError): void {
    for (const [ref, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(ref);
      pending.reject(error);
    }
  }

  // ---- frames ----

  #onFrame(socket: WebSocketLike, data: unknown): void {
    if (socket !== this.#socket) return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(frameText(data)) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'session.ready':
        this.#onReady(socket, frame);
        return;
      case 'ack':
      case 'error': {
        const ref = frame.ref === undefined ? undefined : String(frame.ref);
        const pending = ref === undefined ? undefined : this.#pending.get(ref);
        if (!pending || ref === undefined) return;
        clearTimeout(pending.timer);
        this.#pending.delete(ref);
        if (frame.type === 'ack') pending.resolve(frame);
        else pending.reject(new ChatClientError(frame.code, frame.message));
        return;
      }
      case 'message.read': {
        const conversation = this.#conversations.get(frame.conversationId);
        if (conversation && frame.userId === this.#userId) {
          conversation.markReadUpTo(frame.seq);
          this.emit('conversation', conversation);
        }
        this.emit('message.read', frame);
        return;
      }
      case 'receipt.changed': {
        const conversation = this.#conversations.get(frame.conversationId);
        conversation?.receipts.set(frame.userId, { deliveredSeq: frame.deliveredSeq, readSeq: frame.readSeq });
        this.emit('receipt.changed', frame);
        return;
      }
      case 'typing':
        this.emit('typing', frame);
        return;
      case 'presence.changed': {
        const known = this.#presence.get(frame.userId);
        if (known && known.version >= frame.version) return;
        this.#presence.set(frame.userId, frame);
        this.emit('presence.changed', frame);
        return;
      }
      default:
        if (LOG_TYPES.has(frame.type)) this.#onEntry(frame as LogEntry, true);
    }
  }

  #onReady(socket: WebSocketLike, frame: SessionReadyFrame): void {
    this.#userId = frame.userId;
    this.#socketReady = true;
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    // Tokens refreshed while this socket was opening: tell it, or it closes at the old expiry.
    const current = this.#session?.accessToken;
    if (current && current !== this.#socketToken) {
      this.#socketToken = current;
      this.request('auth.refresh', { accessToken: current }).catch(() => undefined);
    }
    this.#everReady = true;
    this.#attempt = 0;
    this.#startPing(socket);
    const listed = new Set<string>();
    for (const listing of frame.conversations) {
      listed.add(listing.id);
      this.#takeListing(listing);
    }
    for (const conversation of this.#conversations.values()) {
      if (!listed.has(conversation.id) && conversation.member) {
        conversation.member = false;
        this.emit('conversation', conversation);
      }
    }
    this.#setState('ready');
    this.emit('ready', frame);
    for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
    // Resume: every conversation the server is ahead in.
    for (const conversation of this.#conversations.values()) {
      if (conversation.member && (conversation.lastSeq > conversation.appliedSeq || conversation.buffered.size > 0)) {
        void this.#fetchLog(conversation);
      }
      this.#scheduleDelivered(conversation);
    }
    for (const slot of this.#outbox.values()) this.#flush(slot);
  }

  #takeListing(listing: Conversation & Partial<SessionConversation>): ConversationState {
    const conversation = this.#stateOf(listing.id);
    conversation.updateFrom(listing);
    if (listing.unread !== undefined) {
      // The server counted up to its lastSeq; what this client applied beyond it counts on top.
      const beyond = conversation
        .folded()
        .filter(
          (m) =>
            m.message.seq > listing.lastSeq &&
            m.message.senderId !== this.#userId &&
            m.message.seq > conversation.readSeq,
        ).length;
      conversation.unread = listing.unread + beyond;
      this.#unreadCountedTo.set(listing.id, Math.max(listing.lastSeq, conversation.appliedSeq));
    }
    this.emit('conversation', conversation);
    return conversation;
  }

  #stateOf(conversationId: string): ConversationState {
    let conversation = this.#conversations.get(conversationId);
    if (!conversation) {
      conversation = new ConversationState(conversationId, this.#userId ?? '');
      this.#conversations.set(conversationId, conversation);
    }
    return conversation;
  }

  /** A push or a `log.get` entry: applied now if it is next, else buffered and the gap fetched. */
  #onEntry(entry: LogEntry, fromPush: boolean): void {
    const conversationId = entryConversation(entry);
    const known = this.#conversations.has(conversationId);
    const conversation = this.#stateOf(conversationId);
    if (!known) void this.#refreshListing();
    const seq = entrySeq(entry);
    if (seq <= conversation.appliedSeq) return; // already applied: a push and a page overlapped
    conversation.lastSeq = Math.max(conversation.lastSeq, seq);
    if (seq === conversation.appliedSeq + 1) {
      this.#applyInOrder(conversation, entry);
    } else {
      conversation.buffered.set(seq, entry);
      if (fromPush) void this.#fetchLog(conversation);
    }
  }

  #applyInOrder(conversation: ConversationState, first: LogEntry): void {
    let entry: LogEntry | undefined = first;
    while (entry) {
      conversation.buffered.delete(entrySeq(entry));
      conversation.apply(entry);
      this.#countUnread(conversation, entry);
      this.#emitEntry(entry, conversation);
      entry = conversation.buffered.get(conversation.appliedSeq + 1);
    }
    for (const seq of conversation.buffered.keys())
      if (seq <= conversation.appliedSeq) conversation.buffered.delete(seq);
    if (!conversation.member) conversation.buffered.clear();
    this.#scheduleDelivered(conversation);
    this.emit('conversation', conversation);
  }

  #countUnread(conversation: ConversationState, entry: LogEntry): void {
    if (entry.type !== 'message.new') return;
    const countedTo = this.#unreadCountedTo.get(conversation.id) ?? 0;
    const seq = entry.message.seq;
    if (seq <= countedTo) return;
    this.#unreadCountedTo.set(conversation.id, seq);
    if (entry.message.senderId !== this.#userId && seq > conversation.readSeq) conversation.unread += 1;
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

  /** Pages `log.get` from the applied seq until the server has nothing more (one fetch per conversation). */
  async #fetchLog(conversation: ConversationState): Promise<void> {
    if (this.#fetching.has(conversation.id)) return;
    this.#fetching.add(conversation.id);
    let again = false;
    try {
      let emptyGaps = 0;
      while (this.#socketReady && conversation.member) {
        const ack = await this.#costly('log.get', () =>
          this.request('log.get', {
            conversationId: conversation.id,
            afterSeq: conversation.appliedSeq,
            limit: LOG_PAGE,
          }),
        );
        const entries = (ack.entries as LogEntry[] | undefined) ?? [];
        for (const entry of entries) this.#onEntry(entry, false);
        if (entries.length > 0) continue;
        const behind = conversation.buffered.size > 0 || conversation.appliedSeq < conversation.lastSeq;
        if (!behind) break;
        // Announced but not readable yet: try again shortly, then give up until the next connect.
        emptyGaps += 1;
        if (emptyGaps > 20 && conversation.buffered.size === 0) {
          conversation.lastSeq = conversation.appliedSeq;
          break;
        }
        await sleep(Math.min(1_000, 50 * emptyGaps));
      }
    } catch (error) {
      const failure = asClientError(error);
      if (failure.code === 'forbidden' || failure.code === 'not_found') {
        conversation.member = false;
        conversation.buffered.clear();
        this.emit('conversation', conversation);
      } else if (failure.retryable && failure.code !== 'disconnected') {
        again = true;
      }
    } finally {
      this.#fetching.delete(conversation.id);
    }
    if (again && this.#state !== 'closed') {
      await sleep(this.#backoff(1));
      if (this.#socketReady) void this.#fetchLog(conversation);
    }
  }

  /** A push for a conversation this client did not know: learn its title and members. */
  #refreshListing(): Promise<void> {
    this.#listRefresh ??= (async () => {
      try {
        await this.listConversations();
      } catch {
        // the next session.ready lists it
      } finally {
        this.#listRefresh = undefined;
      }
    })();
    return this.#listRefresh;
  }

  #scheduleDelivered(conversation: ConversationState): void {
    if (this.#deliveredTimers.has(conversation.id) || this.#state === 'closed') return;
    if ((this.#deliveredSent.get(conversation.id) ?? 0) >= conversation.appliedSeq) return;
    const timer = setTimeout(() => {
      this.#deliveredTimers.delete(conversation.id);
      const seq = conversation.appliedSeq;
      if (!this.#socketReady || !conversation.member || seq <= (this.#deliveredSent.get(conversation.id) ?? 0)) return;
      this.#deliveredSent.set(conversation.id, seq);
      this.request('message.delivered', { conversationId: conversation.id, seq }).catch(() => {
        if ((this.#deliveredSent.get(conversation.id) ?? 0) === seq) this.#deliveredSent.set(conversation.id, 0);
      });
    }, this.#options.deliveredThrottleMs);
    this.#deliveredTimers.set(conversation.id, timer);
  }

  // ---- outbox ----

  async #loadOutbox(): Promise<void> {
    for (const record of await this.#storage.load()) {
      if (this.#outbox.has(record.clientMsgId)) continue;
      this.#outbox.set(record.clientMsgId, { entry: { ...record, status: 'pending', attempts: 0 }, inFlight: false });
    }
  }

  /**
   * Sends a message: resolves with its id once the server acknowledged it. Until then it is
   * `pending` in the outbox and resent (same clientMsgId, never a second message) after every
   * reconnect and `unavailable`; an answer that cannot change by resending (`forbidden`,
   * `not_found`, `too_large`, `bad_request`) makes it `failed` and rejects.
   */
  async send(
    conversationId: string,
    body: string,
    options: { replyTo?: string; clientMsgId?: string } = {},
  ): Promise<SentMessage> {
    if (this.#state === 'closed') throw new ChatClientError('closed', 'the client is closed');
    const record = {
      clientMsgId: options.clientMsgId ?? randomId(),
      conversationId,
      body,
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      createdAt: Date.now(),
    };
    const slot: OutboxSlot = { entry: { ...record, status: 'pending', attempts: 0 }, inFlight: false };
    const done = new Promise<SentMessage>((resolve, reject) => {
      slot.resolve = resolve;
      slot.reject = reject;
    });
    this.#outbox.set(record.clientMsgId, slot);
    await this.#storage.put(record);
    this.emit('outbox', { ...slot.entry });
    if (options.replyTo) {
      // The server knows a message only once it is stored, a little after its ack.
      slot.inFlight = true;
      await this.#held(conversationId, options.replyTo);
      slot.inFlight = false;
    }
    this.#flush(slot);
    return done;
  }

  /** Sends a failed message again (same clientMsgId). */
  retrySend(clientMsgId: string): Promise<SentMessage> {
    const slot = this.#outbox.get(clientMsgId);
    if (slot?.entry.status !== 'failed') return Promise.reject(new Error(`no failed message ${clientMsgId}`));
    const { error: _error, ...rest } = slot.entry;
    slot.entry = { ...rest, status: 'pending' };
    const done = new Promise<SentMessage>((resolve, reject) => {
      slot.resolve = resolve;
      slot.reject = reject;
    });
    void this.#storage.put({
      clientMsgId,
      conversationId: rest.conversationId,
      body: rest.body,
      ...(rest.replyTo ? { replyTo: rest.replyTo } : {}),
      createdAt: rest.createdAt,
    });
    this.emit('outbox', { ...slot.entry });
    this.#flush(slot);
    return done;
  }

  /** Forgets a failed (or sent) message. */
  discard(clientMsgId: string): void {
    const slot = this.#outbox.get(clientMsgId);
    if (!slot || slot.entry.status === 'pending') return;
    this.#outbox.delete(clientMsgId);
  }

  #flush(slot: OutboxSlot): void {
    if (slot.inFlight || slot.entry.status !== 'pending' || !this.#socketReady) return;
    slot.inFlight = true;
    slot.entry.attempts += 1;
    const { entry } = slot;
    this.request('message.send', {
      conversationId: entry.conversationId,
      body: entry.body,
      clientMsgId: entry.clientMsgId,
      ...(entry.replyTo ? { replyTo: entry.replyTo } : {}),
    }).then(
      (ack) => {
        slot.inFlight = false;
        const messageId = String(ack.messageId);
        slot.entry = { ...slot.entry, status: 'sent', messageId };
        this.#outbox.delete(entry.clientMsgId);
        void this.#storage.remove(entry.clientMsgId);
        this.emit('outbox', { ...slot.entry });
        slot.resolve?.({ messageId, clientMsgId: entry.clientMsgId, conversationId: entry.conversationId });
      },
      (error: ChatClientError) => {
        slot.inFlight = false;
        if (this.#state === 'closed') return;
        if (error.retryable) {
          // `disconnected`: the next session.ready flushes it; else try again after a backoff.
          if (error.code !== 'disconnected') {
            setTimeout(() => this.#flush(slot), this.#backoff(Math.min(slot.entry.attempts, 6)));
          }
          return;
        }
        slot.entry = { ...slot.entry, status: 'failed', error: { code: error.code, message: error.message } };
        void this.#storage.remove(entry.clientMsgId);
        this.emit('outbox', { ...slot.entry });
        slot.reject?.(error);
      },
    );
  }

  // ---- reads and changes ----

  /** `message.read` up to `seq` (default: everything applied); resolves with the cursor as it stands. */
  async markRead(conversationId: string, seq?: number): Promise<number> {
    const conversation = this.#conversations.get(conversationId);
    const upTo = seq ?? conversation?.appliedSeq ?? 0;
    const ack = await this.#retrying('message.read', { conversationId, seq: upTo });
    const cursor = Number(ack.seq);
    if (conversation) {
      conversation.markReadUpTo(cursor);
      this.emit('conversation', conversation);
    }
    return cursor;
  }

  /**
   * Waits (at most 10 s) until this client holds a message: a message is acknowledged once the
   * broker has it, and stored (so known to edits, reactions and replies) a moment later.
   */
  async #held(conversationId: string, messageId: string, timeoutMs = 10_000): Promise<void> {
    if (this.#conversations.get(conversationId)?.message(messageId)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
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

  async #change(type: ClientFrameType, fields: Record<string, unknown>): Promise<number | null> {
    if (typeof fields.messageId === 'string' && typeof fields.conversationId === 'string') {
      await this.#held(fields.conversationId, fields.messageId);
    }
    const ack = await this.#retrying(type, fields as ClientFrame<typeof type>);
    return typeof ack.seq === 'number' ? ack.seq : null;
  }

  /** Each of these resolves with the seq of its log entry (`null` when nothing changed), repeating on `unavailable`. */
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

  /** Opens (or finds) the direct conversation with a user, by id or login. */
  async openDirect(target: { userId: string } | { login: string }): Promise<ConversationState> {
    const ack = await this.#retrying('conversation.open_direct', target as ClientFrame<'conversation.open_direct'>);
    return this.#adopt(ack.conversation as Conversation);
  }

  async createGroup(title: string, members: string[]): Promise<ConversationState> {
    // Not repeated on `unavailable`: a second create would make a second group.
    await this.#whenReady();
    const ack = await this.#costly('conversation.create_group', () =>
      this.request('conversation.create_group', { title, members }),
    );
    return this.#adopt(ack.conversation as Conversation);
  }

  #adopt(listing: Conversation): ConversationState {
    const conversation = this.#takeListing(listing);
    if (conversation.lastSeq > conversation.appliedSeq) void this.#fetchLog(conversation);
    return conversation;
  }

  /** `conversation.list`: refreshes titles, members and unread counts. */
  async listConversations(): Promise<ConversationState[]> {
    const ack = await this.#retrying('conversation.list', {});
    const listed = (ack.conversations as SessionConversation[]).map((listing) => this.#adopt(listing));
    return listed;
  }

  /** `conversation.receipts`: every member's delivered and read cursors. */
  async receipts(conversationId: string): Promise<Array<{ userId: string; deliveredSeq: number; readSeq: number }>> {
    const ack = await this.#retrying('conversation.receipts', { conversationId });
    const receipts = ack.receipts as Array<{ userId: string; deliveredSeq: number; readSeq: number }>;
    const conversation = this.#conversations.get(conversationId);
    for (const r of receipts)
      conversation?.receipts.set(r.userId, { deliveredSeq: r.deliveredSeq, readSeq: r.readSeq });
    return receipts;
  }

  /** `history.get` as the server folds it (for comparison, or pages before what the client holds). */
  async history(query: ClientFrame<'history.get'>): Promise<unknown[]> {
    const ack = await this.#retrying('history.get', query);
    return ack.messages as unknown[];
  }

  /** Tells the other members you are typing (the server sends at most one per second). */
  typing(conversationId: string): void {
    this.request('typing', { conversationId }).catch(() => undefined);
  }

  async queryPresence(userIds: string[]): Promise<PresenceChangedFrame[]> {
    const ack = await this.#retrying('presence.query', { userIds });
    return ack.presence as PresenceChangedFrame[];
  }
}

export type { ChangeEntry };

function detach(socket: WebSocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onerror = null;
  socket.onclose = null;
}

function withAccessToken(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
}

function jwtClaims(token: string): { sub?: unknown; exp?: unknown; iat?: unknown } {
  try {
    const payload = token.split('.')[1] ?? '';
    const base64 = payload
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(payload.length / 4) * 4, '=');
    return JSON.parse(atob(base64));
  } catch {
    return {};
  }
}

function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  return `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

function asClientError(error: unknown): ChatClientError {
  if (error instanceof ChatClientError) return error;
  return new ChatClientError('internal', error instanceof Error ? error.message : String(error));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
