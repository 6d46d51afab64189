import type {
  AckFrame,
  ClientFrame,
  ClientFrameType,
  ErrorFrame,
  ServerFrame,
  SessionReadyFrame,
} from '@chat/contracts';
import { CLOSE_CODES } from '@chat/contracts/browser';
import { type BackoffOptions, backoffDelayMs, sleep } from './backoff.js';
import { CostlyRequests } from './costly-requests.js';
import { Emitter } from './emitter.js';
import { asClientError, ChatClientError, closedError } from './errors.js';
import { PendingRequests } from './pending-requests.js';
import { frameText, OPEN, type WebSocketChoice, type WebSocketLike, withAccessToken } from './transport.js';

export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

/** A server frame that is not an answer and not `session.ready`: the log's entries and the rest. */
export type PushFrame = Exclude<ServerFrame, AckFrame | ErrorFrame | SessionReadyFrame>;

export interface ConnectionEvents {
  state: (state: ConnectionState) => void;
  /** A socket opened a session (the first one, or after a reconnect). */
  ready: (frame: SessionReadyFrame, edgeUrl: string) => void;
  push: (frame: PushFrame) => void;
  /** Every answer, after its request was settled: the client watches them for outages. */
  answer: (frame: AckFrame | ErrorFrame) => void;
  /** The server closed with 4003: the account is gone, so reconnecting is pointless. */
  'account-deleted': () => void;
}

/** Where the connection gets its access token; the client's `AuthSession` answers. */
export interface TokenSource {
  /** A token valid for a while yet (refreshing first if needed); rejects once the session ended. */
  accessToken(): Promise<string>;
  /** The edge refused the token (4001, or 401 at the upgrade): refresh it; rejects if that cannot be. */
  refused(): Promise<unknown>;
}

export interface ConnectionOptions {
  edgeUrls: string[];
  webSocket: () => Promise<WebSocketChoice>;
  tokens: TokenSource;
  backoff: BackoffOptions;
  requestTimeoutMs: number;
  pingIntervalMs: number;
}

/** A socket that stayed up this long was healthy: its drop starts the backoff from the beginning. */
const STABLE_CONNECTION_MS = 10_000;
/** Close code the SDK uses for sockets it gives up on (no session.ready in time, no pong). */
const CLIENT_GAVE_UP = 4000;

/**
 * One logical connection to the chat: a socket to one of the edges at a time. A socket that
 * fails to open, or dies, makes it try the next edge after a jittered exponential backoff, so a
 * dead edge costs its clients one reconnect to a live one. Requests are matched to answers by
 * `ref`; `call` waits for a socket and repeats on answers that may change (`unavailable`, drops).
 */
export class Connection extends Emitter<ConnectionEvents> {
  readonly #options: ConnectionOptions;
  readonly #pending = new PendingRequests();
  readonly #costly = new CostlyRequests();
  #state: ConnectionState = 'idle';
  #socket: WebSocketLike | undefined;
  #socketReady = false;
  #socketToken: string | undefined;
  #readyAtMs = 0;
  #everReady = false;
  #urlIndex = 0;
  #attempt = 0;
  #lastSocketError = '';
  #readyWaiters: Array<{ resolve(): void; reject(error: ChatClientError): void }> = [];
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: ConnectionOptions) {
    super();
    if (options.edgeUrls.length === 0) throw new Error('at least one edge URL is needed');
    this.#options = { ...options, edgeUrls: [...options.edgeUrls] };
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Whether a socket has a session now (requests go out). */
  get ready(): boolean {
    return this.#socketReady;
  }

  /** The edge URL the connection is on (or trying). */
  get edgeUrl(): string {
    const urls = this.#options.edgeUrls;
    return urls[this.#urlIndex % urls.length] ?? '';
  }

  /** Starts connecting (once); resolves at the first session.ready. */
  open(): Promise<void> {
    if (this.#state === 'idle') {
      this.#setState('connecting');
      void this.#openSocket();
    }
    return this.whenReady();
  }

  /** Closes the socket and stops reconnecting; every request waiting fails with `closed`. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    const socket = this.#socket;
    if (socket) this.#dropSocket(socket, 1000, 'client closed');
    this.#pending.failAll(closedError());
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(closedError());
  }

  whenReady(): Promise<void> {
    if (this.#socketReady) return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(closedError());
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /** Sends one frame and resolves with its ack (rejects with the error answer). No retry. */
  request<T extends ClientFrameType>(type: T, fields: ClientFrame<T>): Promise<AckFrame> {
    return this.#costly.run(type, () => this.#send(type, fields));
  }

  /**
   * `request` that waits for a socket and repeats on `unavailable`, timeouts and drops, until
   * answered otherwise or the connection closes. Only for requests that are safe to repeat.
   */
  async call<T extends ClientFrameType>(type: T, fields: ClientFrame<T>): Promise<AckFrame> {
    for (let attempt = 0; ; ) {
      await this.whenReady();
      try {
        return await this.request(type, fields);
      } catch (error) {
        const failure = asClientError(error);
        if (!failure.retryable || this.#state === 'closed') throw failure;
        // A drop waits for the next session.ready; an answer that may change waits a backoff.
        if (failure.code !== 'disconnected') await sleep(backoffDelayMs(attempt++, this.#options.backoff));
      }
    }
  }

  /** Tokens were renewed: tell the open socket, or the edge closes it when the old one expires. */
  reauthenticate(accessToken: string): void {
    if (!this.#socketReady || this.#socketToken === accessToken) return;
    this.#socketToken = accessToken;
    this.request('auth.refresh', { accessToken }).catch(() => undefined);
  }

  #send<T extends ClientFrameType>(type: T, fields: ClientFrame<T>): Promise<AckFrame> {
    const socket = this.#socket;
    if (!socket || !this.#socketReady || socket.readyState !== OPEN) {
      return Promise.reject(new ChatClientError('disconnected', 'not connected'));
    }
    const { ref, answer } = this.#pending.open(type, this.#options.requestTimeoutMs);
    try {
      socket.send(JSON.stringify({ ...fields, type, ref }));
    } catch (error) {
      this.#pending.fail(ref, new ChatClientError('disconnected', (error as Error).message));
    }
    return answer;
  }

  /** A method, not a comparison, so that TypeScript does not narrow the state across awaits. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }

  async #openSocket(): Promise<void> {
    if (this.#isClosed()) return;
    let token: string;
    let choice: WebSocketChoice;
    try {
      [token, choice] = await Promise.all([this.#options.tokens.accessToken(), this.#options.webSocket()]);
    } catch (error) {
      // The session ended (the client closes) or there is no WebSocket at all.
      if (!this.#isClosed()) {
        for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(asClientError(error));
      }
      return;
    }
    if (this.#isClosed()) return;
    const url = this.edgeUrl;
    this.#lastSocketError = '';
    let socket: WebSocketLike;
    try {
      socket =
        choice.tokenTransport === 'header'
          ? new choice.WebSocket(url, { headers: { Authorization: `Bearer ${token}` } })
          : new choice.WebSocket(withAccessToken(url, token));
    } catch (error) {
      this.#lastSocketError = (error as Error).message;
      this.#urlIndex += 1;
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    this.#socketToken = token;
    // No session.ready in time (a black-holed address, a hung edge): give up on this one.
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = setTimeout(() => {
      if (socket === this.#socket && !this.#socketReady) this.#lost(socket, CLIENT_GAVE_UP, 'connect timeout');
    }, this.#options.requestTimeoutMs);
    socket.onmessage = (event) => this.#onFrame(socket, event.data);
    socket.onerror = (event) => {
      this.#lastSocketError = String(event?.message ?? event?.error?.message ?? '');
    };
    socket.onclose = (event) => this.#onClose(socket, Number(event?.code ?? 1006));
  }

  /** Gives up on a socket without waiting for the close handshake, then handles it as closed. */
  #lost(socket: WebSocketLike, code: number, reason: string): void {
    this.#dropSocket(socket, code, reason);
    this.#onClose(socket, code);
  }

  #dropSocket(socket: WebSocketLike, code: number, reason: string): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onerror = null;
    socket.onclose = null;
    try {
      socket.close(code, reason);
    } catch {
      // already closing
    }
    if (socket === this.#socket) this.#forgetSocket();
  }

  #forgetSocket(): void {
    this.#socket = undefined;
    this.#socketReady = false;
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  #onClose(socket: WebSocketLike, code: number): void {
    if (socket !== this.#socket && this.#socket !== undefined) return;
    const livedMs = this.#socketReady ? Date.now() - this.#readyAtMs : 0;
    this.#forgetSocket();
    this.#pending.failAll(new ChatClientError('disconnected', `the socket closed (${code})`));
    if (this.#state === 'closed') return;
    if (code === CLOSE_CODES.accountDeleted) {
      this.emit('account-deleted');
      return;
    }
    this.#setState(this.#everReady ? 'reconnecting' : 'connecting');
    if (livedMs >= STABLE_CONNECTION_MS) this.#attempt = 0;
    const refusedAtUpgrade = /\b401\b/.test(this.#lastSocketError);
    if (code === CLOSE_CODES.tokenExpired || code === CLOSE_CODES.sessionEnded || refusedAtUpgrade) {
      // The token, not the edge, was the problem: refresh, then come back to the same edge. After
      // a password change (4004) that works on the device that changed it and ends the others.
      this.#options.tokens.refused().then(
        () => this.#scheduleReconnect(),
        () => undefined,
      );
      return;
    }
    this.#urlIndex += 1;
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#state === 'closed') return;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    const delay = backoffDelayMs(this.#attempt++, this.#options.backoff);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#openSocket();
    }, delay);
  }

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
      case 'error':
        this.#pending.answer(frame);
        this.emit('answer', frame);
        return;
      default:
        this.emit('push', frame);
    }
  }

  #onReady(socket: WebSocketLike, frame: SessionReadyFrame): void {
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#socketReady = true;
    this.#readyAtMs = Date.now();
    this.#everReady = true;
    this.#startPing(socket);
    this.#setState('ready');
    this.emit('ready', frame, this.edgeUrl);
    for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
  }

  /** A dead peer answers no ping: drop its socket without waiting for TCP to notice. */
  #startPing(socket: WebSocketLike): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      if (socket !== this.#socket) return;
      this.request('ping', {}).catch((error: ChatClientError) => {
        if (error.code === 'timeout' && socket === this.#socket) this.#lost(socket, CLIENT_GAVE_UP, 'ping timeout');
      });
    }, this.#options.pingIntervalMs);
  }
}
