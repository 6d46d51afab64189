import { UnavailableError } from '@chat/contracts';
import type { Logger } from '@chat/logger';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { BrokerConnection, ChannelOwner } from './broker-connection.js';

/** How long a publish waits for the broker's confirm before it counts as failed. */
export const CONFIRM_TIMEOUT_MS = 10_000;

export interface PublishOptions extends Options.Publish {
  /** Required: identifies the message in confirms, returns and logs. */
  messageId: string;
}

/**
 * Publishes on a confirm channel: `publish` resolves only when the broker has taken
 * responsibility for the message (confirmed, and routed to at least one queue when
 * `mandatory`). Anything else (no connection, a nack, a return, a timeout) rejects with
 * `unavailable`, so nothing unconfirmed is ever reported as accepted.
 */
export class ConfirmPublisher implements ChannelOwner {
  readonly name = 'publisher';
  readonly #connection: BrokerConnection;
  readonly #logger: Logger;
  #channel: ConfirmChannel | undefined;
  #drain: Promise<void> | undefined;
  readonly #returned = new Set<string>();

  constructor(connection: BrokerConnection, logger: Logger) {
    this.#connection = connection;
    this.#logger = logger.child({ component: 'publisher' });
  }

  async attach(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error: Error) => this.#logger.warn({ err: error }, 'publish channel error'));
    channel.on('return', (message) => {
      const id = message.properties.messageId;
      if (typeof id === 'string') this.#returned.add(id);
    });
    channel.on('close', () => {
      if (this.#channel !== channel) return;
      this.#channel = undefined;
      this.#connection.reopen(this, 'publish channel closed');
    });
    this.#channel = channel;
    this.#drain = undefined;
  }

  detach(): void {
    this.#channel = undefined;
    this.#drain = undefined;
  }

  get ready(): boolean {
    return this.#channel !== undefined;
  }

  /** Publishes one message and resolves when the broker confirms it. */
  async publish(exchange: string, routingKey: string, content: Buffer, options: PublishOptions): Promise<void> {
    if (this.#drain) await this.#drain;
    const channel = this.#channel;
    if (!channel) throw new UnavailableError('message broker unavailable, try again');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new UnavailableError('message broker did not confirm in time, try again')),
        CONFIRM_TIMEOUT_MS,
      );
      const done = (error: unknown) => {
        clearTimeout(timer);
        const returned = this.#returned.delete(options.messageId);
        if (error) reject(new UnavailableError('message broker refused the message, try again', { cause: error }));
        else if (returned) reject(new UnavailableError(`no queue took the message on ${exchange}`));
        else resolve();
      };
      let writable: boolean;
      try {
        writable = channel.publish(exchange, routingKey, content, { persistent: true, ...options }, done);
      } catch (error) {
        // The channel closed between the check and the write.
        clearTimeout(timer);
        reject(new UnavailableError('message broker unavailable, try again', { cause: error }));
        return;
      }
      if (!writable && !this.#drain) {
        // The socket buffer is full: later publishes wait for it to drain (never resend this one).
        this.#drain = new Promise<void>((resolveDrain) => {
          const release = () => {
            this.#drain = undefined;
            resolveDrain();
          };
          channel.once('drain', release);
          channel.once('close', release);
        });
      }
    });
  }
}
