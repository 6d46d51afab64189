import type { Logger } from '@chat/logger';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { BrokerConnection, ChannelOwner } from './broker-connection.js';
import { type AckState, ChannelAcks } from './channel-acks.js';

/**
 * One message taken off a queue, acknowledged at most once, on the channel it came from. Acks
 * of a channel go out together once per turn of the event loop (`ChannelAcks`); a nack at once.
 */
export class Delivery {
  readonly message: ConsumeMessage;
  readonly #channel: Channel;
  readonly #acks: ChannelAcks;
  readonly #ackState: AckState;
  readonly #live: () => boolean;
  #settled = false;

  constructor(channel: Channel, acks: ChannelAcks, message: ConsumeMessage, live: () => boolean = () => true) {
    this.#channel = channel;
    this.#acks = acks;
    this.#ackState = acks.track(message);
    this.message = message;
    this.#live = live;
  }

  /**
   * Whether its channel is still the consumer's: once the channel is gone the broker redelivers
   * the message to whoever consumes next, so settling it (or copying it elsewhere) is pointless.
   */
  get live(): boolean {
    return !this.#settled && this.#live();
  }

  get redelivered(): boolean {
    return this.message.fields.redelivered;
  }

  /** Done with it. A second call is ignored: acking a tag twice kills the channel. */
  ack(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#acks.ack(this.#ackState);
  }

  /** Give it back to the queue (or, with `requeue` false, to its dead-letter exchange). */
  nack(requeue: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#acks.settled(this.#ackState);
    try {
      this.#channel.nack(this.message, false, requeue);
    } catch {
      // The channel is gone; the broker redelivers the message to whoever consumes next.
    }
  }
}

export interface QueueConsumerOptions {
  /** The queue, or a declaration that returns its name (for per-node queues). */
  queue: string | ((channel: Channel) => Promise<string>);
  /** Unacked messages the broker may push to this channel. */
  prefetch: number;
  /** For logs and the management console's consumer tag. */
  name: string;
  /** Called each time the consumer starts on a fresh channel (first start, reconnect, reopen). */
  onAttached?: () => void;
  /** Prefix of the consumer tag, so the management console says whose consumer it is. */
  tagPrefix?: string;
}

/**
 * Consumes one queue on a channel of its own, with manual acks and a set prefetch. The base
 * every worker builds on: it reattaches after reconnects and after the server cancels it.
 */
export class QueueConsumer implements ChannelOwner {
  readonly name: string;
  readonly #connection: BrokerConnection;
  readonly #logger: Logger;
  readonly #options: QueueConsumerOptions;
  readonly #onDelivery: (delivery: Delivery) => void;
  #channel: Channel | undefined;
  /** The acks of the current channel, flushed before this consumer closes it. */
  #acks: ChannelAcks | undefined;
  #queueName: string | undefined;
  #tags = 0;

  constructor(
    connection: BrokerConnection,
    logger: Logger,
    options: QueueConsumerOptions,
    onDelivery: (delivery: Delivery) => void,
  ) {
    this.name = `consumer ${options.name}`;
    this.#connection = connection;
    this.#logger = logger.child({ component: 'consumer', consumer: options.name });
    this.#options = options;
    this.#onDelivery = onDelivery;
  }

  /** The queue consumed, once attached. */
  get queueName(): string | undefined {
    return this.#queueName;
  }

  get attached(): boolean {
    return this.#channel !== undefined;
  }

  async attach(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (error: Error) => this.#logger.warn({ err: error }, 'consumer channel error'));
    channel.on('close', () => {
      if (this.#channel !== channel) return;
      this.#channel = undefined;
      this.#connection.reopen(this, 'consumer channel closed');
    });
    await channel.prefetch(this.#options.prefetch);
    const queue = typeof this.#options.queue === 'string' ? this.#options.queue : await this.#options.queue(channel);
    this.#queueName = queue;
    this.#channel = channel;
    const acks = new ChannelAcks(channel);
    this.#acks = acks;
    this.#options.onAttached?.();
    await this.#consume(channel, acks, queue);
  }

  async #consume(channel: Channel, acks: ChannelAcks, queue: string): Promise<void> {
    this.#tags += 1;
    const consumerTag = this.#options.tagPrefix ? `${this.#options.tagPrefix}.${queue}.${this.#tags}` : undefined;
    const live = () => this.#channel === channel;
    await channel.consume(
      queue,
      (message) => {
        if (message === null) {
          // The server cancelled us (queue deleted, node failover): start over on a new channel.
          if (this.#channel === channel) {
            this.#channel = undefined;
            acks.flush();
            channel.close().catch(() => undefined);
            this.#connection.reopen(this, 'consumer cancelled by the server');
          }
          return;
        }
        this.#onDelivery(new Delivery(channel, acks, message, live));
      },
      { noAck: false, ...(consumerTag ? { consumerTag } : {}) },
    );
  }

  /**
   * Closes this consumer's channel and consumes again on a fresh one. On a single-active-consumer
   * queue that hands the queue to the next consumer in line and puts this one at the back. A
   * plain `basic.cancel` would not do: measured on RabbitMQ 3.10.8, a quorum queue keeps the
   * messages a cancelled consumer left unacked on its channel until the channel closes. The
   * caller settles what it took first; whatever it left unacked returns to the queue here.
   */
  async resubscribe(): Promise<void> {
    const channel = this.#channel;
    if (!channel) return;
    this.#channel = undefined;
    this.#acks?.flush();
    await channel.close().catch(() => undefined);
    await this.#connection.reattach(this);
  }

  detach(): void {
    this.#channel = undefined;
  }

  /** Stops consuming; unacked messages return to the queue when the channel closes. */
  async stop(): Promise<void> {
    this.#connection.unregister(this);
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel) this.#acks?.flush();
    await channel?.close().catch(() => undefined);
  }
}
