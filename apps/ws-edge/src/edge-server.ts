import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AllowedOrigins } from '@chat/config';
import { CLOSE_CODES, type SessionReadyFrame } from '@chat/contracts';
import type { Logger } from '@chat/logger';
import { closeServer } from '@chat/runtime';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ConversationService } from './conversation-service.js';
import type { EdgeMetrics } from './edge-metrics.js';
import type { FrameRouter } from './frame-router.js';
import { EXPIRY_SWEEP_MS, MAX_FRAME_BYTES } from './limits.js';
import { Session } from './session.js';
import {
  type AuthenticatedUpgrade,
  authenticateUpgrade,
  type UpgradeCheckDependencies,
  UpgradeRefusal,
} from './upgrade.js';

export interface EdgeLimits {
  allowedOrigins: AllowedOrigins;
  maxConnectionsPerUser: number;
  ratePerS: number;
  rateBurst: number;
  pingIntervalMs: number;
}

export interface EdgeServerDependencies
  extends Omit<UpgradeCheckDependencies, 'allowedOrigins' | 'maxConnectionsPerUser'> {
  nodeId: string;
  limits: EdgeLimits;
  logger: Logger;
  router: FrameRouter;
  conversations: ConversationService;
  metrics: EdgeMetrics;
  /** Told about every session: registered (presence), ready with its conversations (contacts), closed. */
  onSessionOpened?: (session: Session) => void;
  onSessionReady?: (session: Session, conversations: SessionReadyFrame['conversations']) => void;
  /** The session's contacts online now, read after `onSessionReady` so no change falls between. */
  onlineContacts?: (session: Session) => Promise<string[]>;
  onSessionClosed?: (session: Session) => void;
}

/**
 * The WebSocket side of an edge node, on the HTTP server that also serves its REST API.
 * Upgrades are authenticated before any WebSocket exists (`noServer` + the `upgrade` event,
 * rather than `verifyClient`), frames are capped at 64 KiB, compression is off.
 */
export class EdgeServer {
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #deps: EdgeServerDependencies;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #expirySweep: NodeJS.Timeout;
  #stopping = false;

  constructor(http: Server, deps: EdgeServerDependencies) {
    this.#http = http;
    this.#deps = deps;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    });
    http.on('upgrade', (request, socket, head) => this.#onUpgrade(request, socket, head));
    this.#heartbeat = setInterval(() => {
      for (const session of deps.sessions.all()) session.heartbeat();
    }, deps.limits.pingIntervalMs);
    this.#heartbeat.unref();
    this.#expirySweep = setInterval(() => {
      const now = Date.now();
      for (const session of deps.sessions.all()) session.expireIfDue(now);
    }, EXPIRY_SWEEP_MS);
    this.#expirySweep.unref();
  }

  /** Closes every session with 1001 (going away), so clients reconnect to another node. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#heartbeat);
    clearInterval(this.#expirySweep);
    for (const session of [...this.#deps.sessions.all()]) session.close(CLOSE_CODES.goingAway, 'node shutting down');
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await closeServer(this.#http);
  }

  #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A listener made here would share this call's closure context, which holds the request and
    // `head` (a slice that pins an 8 KiB buffer): kept by the socket for its whole life, that was
    // most of an idle connection's memory.
    socket.on('error', ignoreSocketError);
    authenticateUpgrade(request, { ...this.#deps, ...this.#deps.limits }).then(
      (auth) => {
        if (this.#stopping) {
          refuse(socket, new UpgradeRefusal(503, 'unavailable', 'node shutting down'));
          return;
        }
        this.#wss.handleUpgrade(request, socket, head, (ws) => this.#onConnection(ws, auth));
      },
      (error: unknown) => {
        if (!(error instanceof UpgradeRefusal)) this.#deps.logger.error({ err: error }, 'upgrade check failed');
        const refusal = error instanceof UpgradeRefusal ? error : new UpgradeRefusal(503, 'unavailable', 'try again');
        this.#deps.metrics.upgradeRefusals.inc({ status: String(refusal.status) });
        refuse(socket, refusal);
      },
    );
  }

  #onConnection(ws: WebSocket, auth: AuthenticatedUpgrade): void {
    const { sessions, conversations, nodeId, logger } = this.#deps;
    const session = new Session(ws, {
      userId: auth.userId,
      expiresAtMs: auth.expiresAtMs,
      sessionEpoch: auth.sessionEpoch,
      ratePerS: this.#deps.limits.ratePerS,
      rateBurst: this.#deps.limits.rateBurst,
      router: this.#deps.router,
      logger,
      metrics: this.#deps.metrics,
      onClose: (closed, code) => {
        sessions.remove(closed);
        logger.debug({ sessionId: closed.id, userId: closed.userId, code }, 'session closed');
        this.#deps.onSessionClosed?.(closed);
      },
    });
    // Registered before the snapshot is read: a message persisted meanwhile is pushed after
    // session.ready rather than missed between the two.
    sessions.add(session);
    this.#deps.onSessionOpened?.(session);
    conversations.snapshot(auth.userId).then(
      async (list) => {
        this.#deps.onSessionReady?.(session, list);
        const online = await this.#onlineContacts(session);
        const ready: SessionReadyFrame = {
          type: 'session.ready',
          userId: auth.userId,
          nodeId,
          conversations: list,
          ...(online ? { online } : {}),
        };
        session.open(ready);
        logger.debug({ sessionId: session.id, userId: auth.userId, conversations: list.length }, 'session ready');
      },
      (error: unknown) => {
        logger.error({ err: error, userId: auth.userId }, 'could not load the session');
        session.close(CLOSE_CODES.tryAgainLater, 'could not load the session, reconnect');
      },
    );
  }

  /**
   * Presence is a nicety of session.ready, not a condition of it: when Redis cannot answer, the
   * session opens without `online` and the client learns presence from the pushes that follow.
   */
  async #onlineContacts(session: Session): Promise<string[] | undefined> {
    const read = this.#deps.onlineContacts;
    if (!read) return undefined;
    try {
      return await read(session);
    } catch (error) {
      this.#deps.logger.warn({ err: error, userId: session.userId }, 'session.ready without presence');
      return undefined;
    }
  }
}

/** Errors of a socket being upgraded end in its close; `ws` takes over its errors once upgraded. */
function ignoreSocketError(): void {}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** Answers a refused upgrade in plain HTTP, with the same JSON error body as the REST API. */
function refuse(socket: Duplex, refusal: UpgradeRefusal): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
