import { randomBytes } from 'node:crypto';
import { EVENTS, type EventPublisher } from '@chat/broker';
import type { PresenceEvent } from '@chat/contracts';
import type { Logger } from '@chat/logger';
import type { LocalSessions } from './local-sessions.js';
import type { Session } from './session.js';

/**
 * Tells the presence worker what this node holds: each session that opens or closes, a
 * heartbeat with the session count, and a full snapshot of live sessions when asked for one
 * (the worker lost track, e.g. Redis restarted) or when an event could not be published (the
 * broker was down), so presence converges to the truth without a replay of missed events.
 */
export class PresenceReporter {
  /** NODE_ID plus this process's own id: a restarted node does not inherit its past sessions. */
  readonly node: string;
  readonly #publisher: EventPublisher;
  readonly #sessions: LocalSessions;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #dirty = false;
  /** The last publish failed: the next failures are logged at debug only. */
  #failing = false;

  constructor(options: {
    nodeId: string;
    publisher: EventPublisher;
    sessions: LocalSessions;
    logger: Logger;
    heartbeatIntervalMs: number;
  }) {
    this.node = `${options.nodeId}~${randomBytes(4).toString('hex')}`;
    this.#publisher = options.publisher;
    this.#sessions = options.sessions;
    this.#logger = options.logger.child({ component: 'presence' });
    this.#intervalMs = options.heartbeatIntervalMs;
  }

  start(): void {
    this.#timer = setInterval(() => void this.#beat(), this.#intervalMs);
    this.#timer.unref();
    void this.#beat();
  }

  opened(session: Session): void {
    void this.#send({
      type: 'connected',
      node: this.node,
      userId: session.userId,
      sessionId: session.id,
      at: Date.now(),
    });
  }

  closed(session: Session): void {
    void this.#send({
      type: 'disconnected',
      node: this.node,
      userId: session.userId,
      sessionId: session.id,
      at: Date.now(),
    });
  }

  /** Re-announces every live session of this node. */
  async snapshot(): Promise<boolean> {
    const sessions = [...this.#sessions.all()].map((session) => ({ userId: session.userId, sessionId: session.id }));
    return this.#send({ type: 'snapshot', node: this.node, sessions, at: Date.now() });
  }

  /** Going away: this node's sessions end now rather than when its heartbeats are missed. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#send({ type: 'snapshot', node: this.node, sessions: [], at: Date.now() });
  }

  async #beat(): Promise<void> {
    if (this.#dirty && (await this.snapshot())) this.#dirty = false;
    await this.#send({
      type: 'heartbeat',
      node: this.node,
      sessions: this.#sessions.size,
      at: Date.now(),
    });
  }

  async #send(event: PresenceEvent): Promise<boolean> {
    try {
      await this.#publisher.publish(EVENTS.presenceReport, event);
      if (this.#failing) this.#logger.info({ event: event.type }, 'presence events published again');
      this.#failing = false;
      return true;
    } catch (error) {
      // A missed connect or disconnect is repaired by the next heartbeat's snapshot.
      this.#dirty = true;
      // Said once per outage (no presence worker, say, fails every heartbeat), then at debug.
      const level = this.#failing ? 'debug' : 'warn';
      this.#failing = true;
      this.#logger[level]({ err: error, event: event.type }, 'presence event not published; will resync');
      return false;
    }
  }
}
