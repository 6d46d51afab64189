import type { PublicUser, TokenPair } from '@chat/contracts';
import { authRequest } from './auth-http.js';
import { type BackoffOptions, backoffDelayMs, sleep } from './backoff.js';
import { Emitter } from './emitter.js';
import { asClientError, ChatClientError, closedError } from './errors.js';
import type { FetchLike } from './transport.js';

/** The tokens of a logged-in user. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch). */
  expiresAtMs: number;
}

/** Tokens as `/login` answers them, or as an app kept them. */
export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn?: number;
  expiresAtMs?: number;
}

/** Why a session ended: the app shows it and asks the user to log in again. */
export interface SessionEnd {
  code: 'session_ended';
  reason: 'refresh_refused' | 'account_deleted' | 'logged_out';
  message: string;
}

export interface AuthSessionEvents {
  /** New tokens (after a login or a refresh): persist them if the app keeps sessions. */
  tokens: (session: Session) => void;
  ended: (end: SessionEnd) => void;
}

/** Of a token's lifetime, at most this share is spent waiting before its refresh. */
const REFRESH_AT_LEAST_LIFETIME_SHARE = 0.25;
const DEFAULT_LIFETIME_S = 900;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A user's tokens and the auth service's HTTP calls: login, and refresh before the access token
 * expires. Refresh tokens rotate and work once; a refused one (spent elsewhere, reused, revoked)
 * cannot come back, so the session ends with an `ended` event instead of retrying forever.
 */
export class AuthSession extends Emitter<AuthSessionEvents> {
  readonly #authUrl: string;
  readonly #fetch: FetchLike | undefined;
  readonly #refreshMarginMs: number;
  readonly #backoff: BackoffOptions;
  #session: Session | undefined;
  #userId: string | undefined;
  #refreshing: Promise<Session> | undefined;
  #changingPassword: Promise<Session> | undefined;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #ended = false;

  constructor(options: {
    authUrl: string;
    fetch: FetchLike | undefined;
    refreshMarginMs: number;
    backoff: BackoffOptions;
  }) {
    super();
    this.#authUrl = options.authUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch;
    this.#refreshMarginMs = options.refreshMarginMs;
    this.#backoff = options.backoff;
  }

  get current(): Session | undefined {
    return this.#session ? { ...this.#session } : undefined;
  }

  /** The user id in the access token (`sub`). */
  get userId(): string | undefined {
    return this.#userId;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** POST /register: creates the account (does not log in). */
  register(login: string, password: string, displayName?: string): Promise<PublicUser> {
    return this.#post<PublicUser>('/register', { login, password, ...(displayName ? { displayName } : {}) });
  }

  /** POST /login: keeps the tokens and schedules their refresh. */
  async login(login: string, password: string): Promise<Session> {
    const pair = await this.#post<TokenPair>('/login', { login, password });
    return this.use(pair);
  }

  /** Uses tokens the app kept (or got elsewhere). */
  use(tokens: SessionTokens): Session {
    const claims = jwtClaims(tokens.accessToken);
    const expiresAtMs =
      tokens.expiresAtMs ??
      (typeof claims.exp === 'number'
        ? claims.exp * 1000
        : Date.now() + (tokens.expiresIn ?? DEFAULT_LIFETIME_S) * 1000);
    this.#session = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAtMs };
    if (typeof claims.sub === 'string') this.#userId = claims.sub;
    this.#ended = false;
    const lifetimeMs = typeof claims.iat === 'number' ? expiresAtMs - claims.iat * 1000 : undefined;
    this.#scheduleRefresh(lifetimeMs);
    return { ...this.#session };
  }

  /**
   * POST /token/refresh (one at a time: two concurrent refreshes would spend the token twice,
   * which the server takes for a theft). Repeats while auth is unreachable; ends the session when
   * the refresh token is refused.
   */
  refresh(): Promise<Session> {
    // The server ends every session of the account, this socket's included (4004), before it
    // answers a password change: a refresh then would spend a revoked token and end this session
    // too. The change's answer is the new pair; a failed change leaves the old one to refresh.
    const change = this.#changingPassword;
    if (change) return change.then(undefined, () => this.refresh());
    this.#refreshing ??= this.#refreshUntilAnswered().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** An access token that is valid for at least `minValidMs` more, refreshing first if needed. */
  async freshAccessToken(minValidMs: number): Promise<string> {
    const session = this.#session;
    if (!session) throw new Error('log in (or useSession) first');
    if (session.expiresAtMs - Date.now() >= minValidMs) return session.accessToken;
    return (await this.refresh()).accessToken;
  }

  /**
   * POST /password: every other session of the account ends; this one goes on with the new pair
   * (its socket is closed with 4004 and reconnects with it).
   */
  async changePassword(currentPassword: string, newPassword: string): Promise<Session> {
    const session = this.#session;
    if (!session) throw new Error('log in (or useSession) first');
    const change = this.#post<TokenPair>('/password', { currentPassword, newPassword }, session.accessToken)
      .then((pair) => {
        const next = this.use(pair);
        this.emit('tokens', next);
        return next;
      })
      .finally(() => {
        if (this.#changingPassword === change) this.#changingPassword = undefined;
      });
    this.#changingPassword = change;
    return change;
  }

  /** POST /logout: ends the refresh family on the server; the session ends here too. */
  async logout(): Promise<void> {
    const session = this.#session;
    if (session) await this.#post<undefined>('/logout', { refreshToken: session.refreshToken });
    this.end({ code: 'session_ended', reason: 'logged_out', message: 'logged out' });
  }

  /** Ends the session (once): the tokens are dropped and `ended` tells the app. */
  end(end: SessionEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.stop();
    this.#session = undefined;
    this.emit('ended', end);
  }

  /** Stops the refresh timer (the tokens stay). */
  stop(): void {
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
  }

  async #refreshUntilAnswered(): Promise<Session> {
    for (let attempt = 0; ; attempt += 1) {
      const session = this.#session;
      if (!session || this.#ended) throw closedError();
      try {
        const pair = await this.#post<TokenPair>('/token/refresh', { refreshToken: session.refreshToken });
        const next = this.use(pair);
        this.emit('tokens', next);
        return next;
      } catch (error) {
        const failure = asClientError(error);
        if (failure.code === 'unauthorized' || failure.code === 'bad_request') {
          this.end({
            code: 'session_ended',
            reason: 'refresh_refused',
            message: `the refresh token was refused (spent, reused or revoked): ${failure.message}`,
          });
          throw failure;
        }
        await sleep(backoffDelayMs(attempt, this.#backoff));
      }
    }
  }

  #scheduleRefresh(lifetimeMs: number | undefined): void {
    this.stop();
    const session = this.#session;
    if (!session) return;
    const margin = Math.min(
      this.#refreshMarginMs,
      (lifetimeMs ?? Number.POSITIVE_INFINITY) * REFRESH_AT_LEAST_LIFETIME_SHARE,
    );
    const delay = Math.max(0, session.expiresAtMs - margin - Date.now());
    this.#refreshTimer = setTimeout(
      () => {
        this.refresh().catch(() => undefined);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
  }

  #post<T>(path: string, body: unknown, accessToken?: string): Promise<T> {
    if (!this.#fetch) return Promise.reject(new ChatClientError('internal', 'no fetch here: pass one in the options'));
    return authRequest<T>(this.#fetch, `${this.#authUrl}${path}`, {
      body,
      ...(accessToken ? { bearer: accessToken } : {}),
    });
  }
}

/** The claims of a JWT, unverified: the SDK reads `sub` and `exp`, the server checks the signature. */
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
