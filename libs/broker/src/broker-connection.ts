import type { Logger } from '@chat/logger';
import amqp, { type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import { coalesceFrameWrites } from './frame-coalescing.js';
import { declareTopology, type Topology } from './topology.js';

/** A part of an app that owns channels: it opens them on every (re)connect. */
export interface ChannelOwner {
  /** For logs: what this owner is (`publisher`, `consumer persister.messages.3`). */
  readonly name: string;
  /** Opens this owner's channels on a fresh connection. */
  attach(model: ChannelModel): Promise<void>;
  /** The connection is gone: forget its channels (they are dead). */
  detach(): void;
}

export interface BrokerConnectionOptions {
  url: string;
  /** Shown in the management console's connection list, e.g. `ws-edge edge-1`. */
  connectionName: string;
  logger: Logger;
  /** Declared on every (re)connect before any owner attaches. */
  topology?: Topology;
  /** Attempts before the first connection fails the app's start. Default: 5 (about 3 s). */
  initialMaxRetries?: number;
}

const HEARTBEAT_S = 10;
const REOPEN_DELAYS_MS = [200, 500, 1_000, 2_000, 5_000];

/**
 * One AMQP connection with amqplib's opt-in recovery: after a broker restart or a network
 * failure it reconnects with backoff, re-declares the topology and re-attaches every owner.
 * A channel the server closes while the connection stays up is reopened for its owner.
 * Nothing is buffered here: a publish while disconnected fails at once (`unavailable`).
 */
export class BrokerConnection {
  readonly #model: RecoveringChannelModel;
  readonly #logger: Logger;
  readonly #owners = new Set<ChannelOwner>();
  #current: ChannelModel | undefined;
  #closing = false;

  private constructor(model: RecoveringChannelModel, logger: Logger) {
    this.#model = model;
    this.#logger = logger;
  }

  static async connect(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    const logger = options.logger.child({ component: 'broker' });
    let connection: BrokerConnection | undefined;
    const model = await amqp.connect(withHeartbeat(options.url), {
      clientProperties: { connection_name: options.connectionName },
      // amqplib leaves Nagle's algorithm on. A publish is several small frames: the last waits
      // for the broker's TCP ack of the first, which a quorum queue's confirm does not carry,
      // so the broker's delayed ack (about 40 ms) was added to every confirmed publish
      // (measured: 34 ms per confirm to a quorum queue with it, 1.3 ms without).
      noDelay: true,
      recovery: {
        initialDelay: 200,
        maxDelay: 5_000,
        maxRetries: Number.POSITIVE_INFINITY,
        initialMaxRetries: options.initialMaxRetries ?? 5,
        waitForConnect: false,
        setup: async (fresh: ChannelModel) => {
          if (!coalesceFrameWrites(fresh)) logger.warn('amqplib internals changed: each frame is written on its own');
          if (options.topology) {
            const channel = await fresh.createChannel();
            await declareTopology(channel, options.topology);
            await channel.close();
          }
          await connection?.attachAll(fresh);
        },
      },
    });
    connection = new BrokerConnection(model, logger);
    connection.trackEvents();
    await model.waitForConnect();
    return connection;
  }

  get connected(): boolean {
    return this.#current !== undefined;
  }

  /** A readiness check (`/readyz`): fails while the connection is down; it recovers by itself. */
  async assertConnected(): Promise<void> {
    if (!this.connected) throw new Error('not connected');
  }

  /** Whether a queue exists (a passive declare on a channel of its own, which a 404 closes). */
  async queueExists(queue: string): Promise<boolean> {
    const model = this.#current;
    if (!model) throw new Error('not connected');
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      await channel.checkQueue(queue);
    } catch {
      return false;
    }
    await channel.close().catch(() => undefined);
    return true;
  }

  /** Adds an owner; it attaches now if connected, and after every reconnect. */
  async register(owner: ChannelOwner): Promise<void> {
    this.#owners.add(owner);
    const current = this.#current;
    if (current) await owner.attach(current);
  }

  /** Attaches a registered owner again on the current connection (it closed its channel on purpose). */
  async reattach(owner: ChannelOwner): Promise<void> {
    const current = this.#current;
    if (!current || this.#closing || !this.#owners.has(owner)) return;
    await owner.attach(current);
  }

  unregister(owner: ChannelOwner): void {
    this.#owners.delete(owner);
  }

  /**
   * An owner's channel closed under it (a channel error, a consumer cancelled by the server).
   * If the connection is up, its channels are reopened with backoff; if it is down, the next
   * reconnect attaches it anyway.
   */
  reopen(owner: ChannelOwner, reason: string): void {
    if (this.#closing || !this.#owners.has(owner)) return;
    const model = this.#current;
    if (!model) return;
    this.#logger.warn({ owner: owner.name, reason }, 'channel closed, reopening');
    void this.#reopenWithBackoff(owner, model, 0);
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const owner of this.#owners) owner.detach();
    await this.#model.close();
  }

  /** Runs inside amqplib's setup hook, before the connection counts as up. */
  private async attachAll(model: ChannelModel): Promise<void> {
    for (const owner of this.#owners) await owner.attach(model);
    this.#current = model;
  }

  private trackEvents(): void {
    this.#model.on('connect', () => this.#logger.info('broker connected'));
    this.#model.on('disconnect', (error: Error) => {
      this.#current = undefined;
      for (const owner of this.#owners) owner.detach();
      if (!this.#closing) this.#logger.warn({ err: error }, 'broker connection lost; reconnecting');
    });
    this.#model.on('connect-failed', (error: Error) =>
      this.#logger.warn({ reason: error.message }, 'broker connection attempt failed'),
    );
    this.#model.on('blocked', (reason: string) => this.#logger.warn({ reason }, 'broker blocked publishing'));
    this.#model.on('unblocked', () => this.#logger.info('broker unblocked publishing'));
    this.#model.on('error', (error: Error) => this.#logger.warn({ err: error }, 'broker connection error'));
  }

  async #reopenWithBackoff(owner: ChannelOwner, model: ChannelModel, attempt: number): Promise<void> {
    const delay = REOPEN_DELAYS_MS[Math.min(attempt, REOPEN_DELAYS_MS.length - 1)] ?? 5_000;
    await new Promise((resolve) => setTimeout(resolve, delay));
    // A reconnect in the meantime attached the owner on the new connection already.
    if (this.#closing || this.#current !== model || !this.#owners.has(owner)) return;
    try {
      await owner.attach(model);
    } catch (error) {
      this.#logger.warn({ owner: owner.name, err: error }, 'reopening channel failed');
      void this.#reopenWithBackoff(owner, model, attempt + 1);
    }
  }
}

function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(HEARTBEAT_S));
  return parsed.toString();
}
