import type { Logger } from '@chat/logger';
import type { Channel } from 'amqplib';
import type { z } from 'zod';
import type { BrokerConnection } from './broker-connection.js';
import type { DeadLetters, RetryStep } from './dead-letters.js';
import { type Delivery, QueueConsumer } from './queue-consumer.js';

/** In what order a worker runs its handler. */
export type OrderingPolicy =
  /** One event at a time, in queue order: a session's disconnect must not overtake its connect. */
  | { kind: 'serial' }
  /** Up to `limit` handlers at once, started in queue order. */
  | { kind: 'concurrent'; limit: number };

/** What happens to an event whose handler failed (threw anything but `PoisonEventError`). */
export type RetryPolicy =
  /** Back to the queue after a pause (the dependency may be back by then). */
  | { kind: 'requeue'; delayMs: number }
  /** A copy to the next delay queue of the ladder (`chat-attempts` counted), then ack; `chat.dead` after the last. */
  | { kind: 'ladder'; delaysMs: readonly number[]; deadLetters: DeadLetters };

/** What happens to an event that can never be handled: it fails its schema, or its handler says so. */
export type PoisonPolicy =
  /** To `chat.dead` with `chat-dead-reason`, for an operator and `dlq:replay`. */
  | { kind: 'dead-letter'; deadLetters: DeadLetters }
  /** Acked and counted: for events whose loss costs nothing lasting (presence reports are repaired by the next snapshot). */
  | { kind: 'drop' };

/** The handler's way to say "this event can never succeed": it is poison, not a failure to retry. */
export class PoisonEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonEventError';
  }
}

/** What a worker counts (metrics). Every method is called once per event it concerns. */
export interface EventWorkerCounters {
  handled(queue: string): void;
  poison(queue: string, outcome: 'dead-lettered' | 'dropped'): void;
  retried(queue: string, step: RetryStep | { kind: 'requeue' }): void;
}

export interface EventWorkerOptions<T> {
  /** For logs and the console's consumer tag. */
  name: string;
  /** The queue, or a declaration that returns its name (for per-node queues). */
  queue: string | ((channel: Channel) => Promise<string>);
  prefetch: number;
  schema: z.ZodType<T>;
  /** A check beyond the schema that needs the message itself (a header); returns why it is poison. */
  inspect?: (event: T, delivery: Delivery) => string | undefined;
  handle: (event: T, delivery: Delivery) => Promise<void>;
  ordering: OrderingPolicy;
  retry: RetryPolicy;
  poison: PoisonPolicy;
  counters?: EventWorkerCounters;
  /** Each time the consumer starts on a fresh channel; what was in hand from the old one is being redelivered. */
  onAttached?: () => void;
  /** Prefix of the consumer tag (e.g. the process's instance id). */
  tagPrefix?: string;
}

/** Pause before giving a message back when not even its retry copy or dead letter was confirmed. */
const REQUEUE_PAUSE_MS = 1_000;

/**
 * The one consumer shape of every queue: decode (JSON), validate (the event's zod schema), run
 * the handler under the queue's ordering policy, and settle: ack after the handler succeeded,
 * the retry policy when it failed, the poison policy when the event can never succeed. Nothing is
 * dropped silently: every invalid event is logged and counted, whatever its policy.
 */
export class EventWorker<T> {
  readonly #options: EventWorkerOptions<T>;
  readonly #logger: Logger;
  readonly #consumer: QueueConsumer;
  /** Serial ordering: the tail of the chain of handlers. */
  #tail: Promise<void> = Promise.resolve();
  /** Concurrent ordering: events waiting for a free slot. */
  readonly #waiting: Array<() => void> = [];
  #running = 0;
  /** Events taken but not yet settled. */
  #inHand = 0;
  #idle: Array<() => void> = [];
  #paused = false;

  constructor(connection: BrokerConnection, logger: Logger, options: EventWorkerOptions<T>) {
    this.#options = options;
    this.#logger = logger.child({ component: 'worker', worker: options.name });
    this.#consumer = new QueueConsumer(
      connection,
      logger,
      {
        name: options.name,
        queue: options.queue,
        prefetch: options.prefetch,
        ...(options.onAttached ? { onAttached: options.onAttached } : {}),
        ...(options.tagPrefix ? { tagPrefix: options.tagPrefix } : {}),
      },
      (delivery) => this.#take(delivery),
    );
  }

  /** The underlying consumer, to register with the connection. */
  get consumer(): QueueConsumer {
    return this.#consumer;
  }

  get attached(): boolean {
    return this.#consumer.attached;
  }

  /**
   * Gives a single-active-consumer queue to the next consumer in line: stops taking events,
   * waits until every event in hand is settled, then cancels and subscribes again at the back.
   */
  async yieldQueue(): Promise<void> {
    this.#paused = true;
    try {
      await this.idle();
    } finally {
      this.#paused = false;
    }
    // Synchronously up to its first await, this drops the old channel: from here on its late
    // deliveries are not live (ignored, returned at its close), and the new channel's are taken.
    await this.#consumer.resubscribe();
  }

  /** Resolves when no event is in hand. */
  idle(): Promise<void> {
    if (this.#inHand === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Stops taking events, lets those in hand settle (up to `settleMs`), then closes the channel:
   * anything still unsettled returns to the queue with it.
   */
  async stop(settleMs = 10_000): Promise<void> {
    this.#paused = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise((resolve) => (timer = setTimeout(resolve, settleMs)))]);
    clearTimeout(timer);
    await this.#consumer.stop();
  }

  #take(delivery: Delivery): void {
    // Yielding or stopping: whatever arrives now returns to the queue when the channel closes.
    if (this.#paused || !delivery.live) return;
    this.#inHand += 1;
    const parsed = this.#decode(delivery);
    const settled = 'poison' in parsed ? this.#poison(delivery, parsed.poison) : this.#schedule(parsed.event, delivery);
    settled
      .catch((error: unknown) => this.#logger.error({ err: error }, 'settling an event failed'))
      .finally(() => {
        this.#inHand -= 1;
        if (this.#inHand === 0) for (const resolve of this.#idle.splice(0)) resolve();
      });
  }

  #decode(delivery: Delivery): { event: T } | { poison: string } {
    let payload: unknown;
    try {
      payload = JSON.parse(delivery.message.content.toString('utf8'));
    } catch {
      return { poison: 'invalid: body is not JSON' };
    }
    const result = this.#options.schema.safeParse(payload);
    if (!result.success) {
      const issue = result.error.issues[0];
      return { poison: `invalid: ${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'invalid'}` };
    }
    const reason = this.#options.inspect?.(result.data, delivery);
    return reason === undefined ? { event: result.data } : { poison: `invalid: ${reason}` };
  }

  #schedule(event: T, delivery: Delivery): Promise<void> {
    const { ordering } = this.#options;
    if (ordering.kind === 'serial') {
      const run = this.#tail.then(() => this.#run(event, delivery));
      this.#tail = run;
      return run;
    }
    return new Promise<void>((resolve) => {
      const start = () => {
        this.#running += 1;
        this.#run(event, delivery).finally(() => {
          this.#running -= 1;
          this.#waiting.shift()?.();
          resolve();
        });
      };
      if (this.#running < ordering.limit) start();
      else this.#waiting.push(start);
    });
  }

  /** Runs the handler and settles the delivery; never rejects. */
  async #run(event: T, delivery: Delivery): Promise<void> {
    try {
      await this.#options.handle(event, delivery);
    } catch (error) {
      if (error instanceof PoisonEventError) await this.#poison(delivery, error.message);
      else await this.#retry(delivery, error);
      return;
    }
    delivery.ack();
    this.#options.counters?.handled(this.#queue);
  }

  get #queue(): string {
    return this.#consumer.queueName ?? this.#options.name;
  }

  async #poison(delivery: Delivery, reason: string): Promise<void> {
    const { poison, counters } = this.#options;
    const messageId = delivery.message.properties.messageId;
    if (poison.kind === 'drop') {
      this.#logger.warn({ reason, messageId }, 'dropping a poison event');
      counters?.poison(this.#queue, 'dropped');
      delivery.ack();
      return;
    }
    if (!delivery.live) return;
    try {
      await poison.deadLetters.deadLetter(delivery, reason, this.#queue);
    } catch (error) {
      this.#logger.warn({ err: error, messageId }, 'could not dead-letter; returning the event to its queue');
      await pause(REQUEUE_PAUSE_MS);
      delivery.nack(true);
      return;
    }
    this.#logger.warn({ reason, messageId }, 'poison event dead-lettered');
    counters?.poison(this.#queue, 'dead-lettered');
    delivery.ack();
  }

  async #retry(delivery: Delivery, error: unknown): Promise<void> {
    const { retry, counters } = this.#options;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const messageId = delivery.message.properties.messageId;
    // The channel is gone: the broker redelivers it already; a retry copy would be a second one.
    if (!delivery.live) return;
    if (retry.kind === 'requeue') {
      this.#logger.warn({ reason, messageId }, 'event not handled; requeued after a pause');
      await pause(retry.delayMs);
      counters?.retried(this.#queue, { kind: 'requeue' });
      delivery.nack(true);
      return;
    }
    let step: RetryStep;
    try {
      step = await retry.deadLetters.retry(delivery, reason, this.#queue, retry.delaysMs);
    } catch (republishError) {
      this.#logger.warn({ err: republishError, messageId }, 'could not republish; returning the event to its queue');
      await pause(REQUEUE_PAUSE_MS);
      delivery.nack(true);
      return;
    }
    this.#logger.warn(
      { messageId, step, reason },
      step.kind === 'dead' ? 'event dead-lettered after its last retry' : 'event sent to the retry ladder',
    );
    counters?.retried(this.#queue, step);
    delivery.ack();
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
