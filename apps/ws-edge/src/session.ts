import { randomUUID } from 'node:crypto';
import {
  ChatError,
  CLOSE_CODES,
  type ErrorCode,
  type ErrorFrame,
  frameRef,
  isClientFrameType,
  type SessionReadyFrame,
  UnavailableError,
} from '@chat/contracts';
import type { Logger } from '@chat/logger';
import { type RawData, WebSocket } from 'ws';
import { closeCodeLabel, type EdgeMetrics } from './edge-metrics.js';
import { AccountRefusedError, describeFrameType, type FrameRouter } from './frame-router.js';
import type { FrameOrigin } from './handlers/handler.js';
import {
  BAD_FRAME_ALLOWANCE,
  BAD_FRAME_REFILL_PER_S,
  CLOSE_GRACE_MS,
  MAX_BUFFERED_BYTES,
  MAX_COSTLY_IN_FLIGHT,
  MAX_IN_FLIGHT_FRAMES,
  RATE_LIMIT_ALLOWANCE,
  RATE_LIMIT_STRIKE_REFILL_PER_S,
  SLOW_CLIENT_CLOSE_GRACE_MS,
} from './limits.js';
import { TokenBucket } from './token-bucket.js';

export interface SessionOptions {
  userId: string;
  expiresAtMs: number;
  sessionEpoch: number;
  ratePerS: number;
  rateBurst: number;
  router: FrameRouter;
  logger: Logger;
  metrics: EdgeMetrics;
  onClose: (session: Session, code: number) => void;
}

/** Frames a client may send before its session is ready; they are handled once it is. */
const MAX_EARLY_FRAMES = 100;

type SessionState = 'opening' | 'open' | 'closed';

/**
 * One connected client: frames in (parsed, rate-limited, routed), frames out (bounded by the
 * socket's send buffer), heartbeats, and the access token's expiry. Until `open` sends
 * `session.ready`, the first frame of the connection, anything else waits.
 */
export class Session implements FrameOrigin {
  readonly id = randomUUID();
  readonly userId: string;
  readonly connectedAt = Date.now();
  readonly #ws: WebSocket;
  readonly #options: SessionOptions;
  readonly #rate: TokenBucket;
  // Made on first need: an idle connection (most of them) never needs these. Memory per idle
  // connection is a measured target (docs/benchmarks.md).
  #logger: Logger | undefined;
  #badFrames: TokenBucket | undefined;
  #rateStrikes: TokenBucket | undefined;
  #state: SessionState = 'opening';
  #earlyFrames: Array<{ data: RawData; isBinary: boolean }> | undefined;
  #outbox: Array<[text: string, type: string]> | undefined;
  #inFlight = 0;
  #costlyInFlight = 0;
  #alive = true;
  #expiresAtMs = 0;
  #sessionEpoch = 0;

  constructor(ws: WebSocket, options: SessionOptions) {
    this.#ws = ws;
    this.#options = options;
    this.userId = options.userId;
    this.#rate = new TokenBucket(options.rateBurst, options.ratePerS);
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('pong', () => {
      this.#alive = true;
    });
    ws.on('error', (error) => this.#log().debug({ err: error }, 'socket error'));
    ws.on('close', (code) => this.#onClosed(code));
    this.extendUntil(options.expiresAtMs, options.sessionEpoch);
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** Sends `session.ready`, then the pushes and handles the frames that waited for it. */
  open(ready: SessionReadyFrame): void {
    if (this.#state !== 'opening') return;
    this.#send(JSON.stringify(ready), ready.type);
    this.#state = 'open';
    const outbox = this.#outbox ?? [];
    const early = this.#earlyFrames ?? [];
    this.#outbox = undefined;
    this.#earlyFrames = undefined;
    for (const [text, type] of outbox) this.#send(text, type);
    for (const { data, isBinary } of early) this.#handle(data, isBinary);
  }

  /** A server frame of `type`, already serialized (a push is serialized once per node, not per recipient). */
  push(text: string, type: string): void {
    if (this.#state === 'open') this.#send(text, type);
    else if (this.#state === 'opening') {
      this.#outbox ??= [];
      this.#outbox.push([text, type]);
    }
  }

  /** Closes with a code that says why; a peer that does not answer the close in time is cut. */
  close(code: number, reason: string, graceMs = CLOSE_GRACE_MS): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#log().info({ code, reason }, 'closing session');
    this.#ws.close(code, reason);
    setTimeout(() => this.#ws.terminate(), graceMs).unref();
  }

  /** Called by the node every heartbeat interval: a peer that missed the last ping is dead. */
  heartbeat(): void {
    if (this.#state === 'closed') return;
    if (!this.#alive) {
      this.#log().info('no pong since the last ping; dropping the connection');
      this.#ws.terminate();
      return;
    }
    this.#alive = false;
    this.#ws.ping();
  }

  get sessionEpoch(): number {
    return this.#sessionEpoch;
  }

  /** The token the connection lives on now expires then (the node's expiry sweep closes it after). */
  extendUntil(expiresAtMs: number, sessionEpoch: number): void {
    this.#expiresAtMs = expiresAtMs;
    this.#sessionEpoch = Math.max(this.#sessionEpoch, sessionEpoch);
  }

  /**
   * Called by the node every second: past its token's expiry the connection closes with 4001.
   * One sweep for the node instead of a timer per connection, which was a Timeout and a timer
   * list (every connection's delay differs) held by every idle connection.
   */
  expireIfDue(now: number): void {
    if (this.#state !== 'closed' && now >= this.#expiresAtMs)
      this.close(CLOSE_CODES.tokenExpired, 'access token expired');
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'opening') {
      this.#earlyFrames ??= [];
      this.#earlyFrames.push({ data, isBinary });
      if (this.#earlyFrames.length > MAX_EARLY_FRAMES)
        this.close(CLOSE_CODES.policyViolation, 'too many frames before session.ready');
      return;
    }
    this.#handle(data, isBinary);
  }

  #handle(data: RawData, isBinary: boolean): void {
    if (this.#state !== 'open') return;
    if (isBinary) {
      this.#badFrame(undefined, 'binary frames are not supported; send JSON text');
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(rawText(data));
    } catch {
      this.#badFrame(undefined, 'frame is not valid JSON');
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.#badFrame(undefined, 'frame must be a JSON object');
      return;
    }
    const fields = frame as Record<string, unknown>;
    this.#options.metrics.framesIn.inc({ type: isClientFrameType(fields.type) ? fields.type : 'invalid' });
    let ref: string | number | undefined;
    if (fields.ref !== undefined) {
      const parsed = frameRef.safeParse(fields.ref);
      if (!parsed.success) {
        // Echoed when it is a string or a number, so the client can still match its mistake.
        const echo =
          typeof fields.ref === 'string' || Number.isFinite(fields.ref) ? (fields.ref as string | number) : undefined;
        this.#badFrame(
          echo,
          `ref must be a string of at most 64 characters or an integer, not ${describeRef(fields.ref)}`,
        );
        return;
      }
      ref = parsed.data;
    }
    // Checked after parsing, so the refusal can carry the frame's ref back.
    if (!this.#rate.take()) {
      this.#sendError(ref, 'rate_limited', 'too many frames; slow down');
      this.#rateStrikes ??= new TokenBucket(RATE_LIMIT_ALLOWANCE, RATE_LIMIT_STRIKE_REFILL_PER_S);
      if (!this.#rateStrikes.take()) this.close(CLOSE_CODES.policyViolation, 'rate limit exceeded persistently');
      return;
    }
    if (this.#inFlight >= MAX_IN_FLIGHT_FRAMES) {
      this.#sendError(ref, 'rate_limited', 'too many requests in flight; wait for answers');
      return;
    }
    const costly = this.#options.router.isCostly(fields.type);
    if (costly && this.#costlyInFlight >= MAX_COSTLY_IN_FLIGHT) {
      this.#sendError(
        ref,
        'rate_limited',
        `at most ${MAX_COSTLY_IN_FLIGHT} costly requests (groups, members, lists, presence, receipts, log reads) at once; wait for their answers`,
      );
      return;
    }
    this.#inFlight += 1;
    if (costly) this.#costlyInFlight += 1;
    this.#options.router
      .dispatch(this, fields.type, fields)
      .then(
        (result) =>
          this.#send(
            JSON.stringify(ref === undefined ? { type: 'ack', ...result } : { type: 'ack', ref, ...result }),
            'ack',
          ),
        (error: unknown) => this.#onHandlerError(ref, fields.type, error),
      )
      .catch((error: unknown) => {
        // A fault in our own answer path: end this connection, never the node's other sessions.
        this.#log().error({ err: error }, 'answering a frame failed; closing the connection');
        this.close(CLOSE_CODES.internalError, 'internal error');
      })
      .finally(() => {
        this.#inFlight -= 1;
        if (costly) this.#costlyInFlight -= 1;
      });
  }

  #onHandlerError(ref: string | number | undefined, type: unknown, error: unknown): void {
    if (error instanceof AccountRefusedError) {
      this.#sendError(ref, error.code, error.message);
      this.close(error.closeCode, error.closeCode === CLOSE_CODES.accountDeleted ? 'account deleted' : 'session ended');
      return;
    }
    if (error instanceof ChatError) {
      if (error.code === 'bad_request') {
        this.#badFrame(ref, error.message);
        return;
      }
      this.#sendError(ref, error.code, error.message);
      return;
    }
    // A dependency failed (database, broker): the client may retry; the details stay in our log.
    this.#log().error({ err: error, frameType: describeFrameType(type) }, 'frame handling failed');
    const unavailable = new UnavailableError('temporarily unavailable, try again');
    this.#sendError(ref, unavailable.code, unavailable.message);
  }

  /** Answers with `bad_request`; a connection that keeps sending garbage is closed (1008). */
  #badFrame(ref: string | number | undefined, message: string): void {
    this.#sendError(ref, 'bad_request', message);
    this.#badFrames ??= new TokenBucket(BAD_FRAME_ALLOWANCE, BAD_FRAME_REFILL_PER_S);
    if (!this.#badFrames.take()) this.close(CLOSE_CODES.policyViolation, 'too many invalid frames');
  }

  #sendError(ref: string | number | undefined, code: ErrorCode, message: string): void {
    const frame: ErrorFrame =
      ref === undefined ? { type: 'error', code, message } : { type: 'error', ref, code, message };
    this.#options.metrics.errors.inc({ code });
    this.#send(JSON.stringify(frame), 'error');
  }

  #send(text: string, type: string): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    if (this.#ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.#log().warn({ buffered: this.#ws.bufferedAmount }, 'client reads too slowly; closing');
      this.close(CLOSE_CODES.tryAgainLater, 'client too slow to read', SLOW_CLIENT_CLOSE_GRACE_MS);
      return;
    }
    this.#ws.send(text);
    this.#options.metrics.framesOut.inc({ type });
  }

  #onClosed(code: number): void {
    this.#state = 'closed';
    this.#options.metrics.closes.inc({ code: closeCodeLabel(code) });
    this.#earlyFrames = undefined;
    this.#outbox = undefined;
    this.#options.onClose(this, code);
  }

  #log(): Logger {
    this.#logger ??= this.#options.logger.child({ sessionId: this.id, userId: this.userId });
    return this.#logger;
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

function describeRef(ref: unknown): string {
  if (typeof ref === 'string') return `a string of ${ref.length} characters`;
  if (typeof ref === 'number') return Number.isFinite(ref) ? `the number ${ref}` : 'a non-finite number';
  if (ref === null) return 'null';
  return Array.isArray(ref) ? 'an array' : `a ${typeof ref}`;
}
