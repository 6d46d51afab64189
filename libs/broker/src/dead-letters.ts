import type { ConfirmPublisher } from './confirm-publisher.js';
import type { Delivery } from './queue-consumer.js';
import { EXCHANGES, HEADERS, QUEUES } from './topology.js';

const MAX_ERROR_CHARS = 500;

export type RetryStep = { kind: 'retry'; queue: string; attempt: number } | { kind: 'dead'; reason: string };

/** Where a message that failed `attempts` times goes next. */
export function nextStep(attempts: number, retryDelaysMs: readonly number[], error: string): RetryStep {
  const delay = retryDelaysMs[attempts - 1];
  if (delay !== undefined) return { kind: 'retry', queue: QUEUES.retry(delay), attempt: attempts };
  return { kind: 'dead', reason: `retries exhausted after ${attempts - 1} retries: ${error}` };
}

export function attemptsOf(delivery: Delivery): number {
  const value = Number(delivery.message.properties.headers?.[HEADERS.attempts] ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/**
 * Republishes a message, as it came, to where it goes next: `chat.dead` with why and from where,
 * or (`retry`) the next delay queue of a retry ladder, whose TTL sends it back to its home shard.
 * The caller acks the original only after this resolves, i.e. after the broker confirmed the copy.
 */
export class DeadLetters {
  readonly #publisher: ConfirmPublisher;

  constructor(publisher: ConfirmPublisher) {
    this.#publisher = publisher;
  }

  /** Never to be retried automatically: `chat.dead`, with why and from where. */
  async deadLetter(delivery: Delivery, reason: string, fromQueue: string): Promise<void> {
    await this.#republish(delivery, EXCHANGES.dead, '', {
      [HEADERS.deadReason]: reason.slice(0, MAX_ERROR_CHARS),
      [HEADERS.deadAt]: new Date().toISOString(),
      [HEADERS.deadFrom]: fromQueue,
    });
  }

  /** A transient failure: one more attempt after the next rung's delay, or dead once the ladder is spent. */
  async retry(
    delivery: Delivery,
    error: string,
    fromQueue: string,
    retryDelaysMs: readonly number[],
  ): Promise<RetryStep> {
    const attempts = attemptsOf(delivery) + 1;
    const step = nextStep(attempts, retryDelaysMs, error);
    if (step.kind === 'dead') {
      await this.deadLetter(delivery, step.reason, fromQueue);
      return step;
    }
    await this.#republish(delivery, '', step.queue, {
      [HEADERS.attempts]: attempts,
      [HEADERS.lastError]: error.slice(0, MAX_ERROR_CHARS),
    });
    return step;
  }

  /** The message as it came (body, id, type, headers), plus `headers`; it must reach a queue. */
  async #republish(
    delivery: Delivery,
    exchange: string,
    routingKey: string,
    headers: Record<string, string | number>,
  ): Promise<void> {
    const { properties, content, fields } = delivery.message;
    await this.#publisher.publish(exchange, routingKey, content, {
      messageId: properties.messageId ?? `republished-${fields.deliveryTag}-${Date.now()}`,
      contentType: properties.contentType,
      type: properties.type,
      timestamp: properties.timestamp,
      mandatory: true,
      headers: { ...properties.headers, ...headers },
    });
  }
}
