import { type ConfirmPublisher, type Delivery, EXCHANGES, HEADERS, QUEUES } from '@chat/broker';

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
 * Republishes failed messages: to the next delay queue (whose TTL sends it back to its home
 * shard), or after the last rung to `chat.dead` with the reason. The caller acks the original
 * only after this resolves, i.e. after the broker confirmed the copy.
 */
export class RetryLadder {
  readonly #publisher: ConfirmPublisher;
  readonly #retryDelaysMs: readonly number[];

  constructor(publisher: ConfirmPublisher, retryDelaysMs: readonly number[]) {
    this.#publisher = publisher;
    this.#retryDelaysMs = retryDelaysMs;
  }

  /** A transient failure: one more attempt later, or dead if the ladder is spent. Returns what happened. */
  async retry(delivery: Delivery, error: string, fromQueue: string): Promise<RetryStep> {
    const attempts = attemptsOf(delivery) + 1;
    const step = nextStep(attempts, this.#retryDelaysMs, error);
    if (step.kind === 'dead') {
      await this.deadLetter(delivery, step.reason, fromQueue);
      return step;
    }
    const { properties, content } = delivery.message;
    await this.#publisher.publish('', step.queue, content, {
      messageId: properties.messageId ?? '',
      contentType: properties.contentType,
      type: properties.type,
      timestamp: properties.timestamp,
      mandatory: true,
      headers: {
        ...properties.headers,
        [HEADERS.attempts]: attempts,
        [HEADERS.lastError]: error.slice(0, MAX_ERROR_CHARS),
      },
    });
    return step;
  }

  /** Never to be retried automatically: `chat.dead`, with why and from where. */
  async deadLetter(delivery: Delivery, reason: string, fromQueue: string): Promise<void> {
    const { properties, content, fields } = delivery.message;
    await this.#publisher.publish(EXCHANGES.dead, '', content, {
      messageId: properties.messageId ?? `dead-${fields.deliveryTag}-${Date.now()}`,
      contentType: properties.contentType,
      type: properties.type,
      timestamp: properties.timestamp,
      mandatory: true,
      headers: {
        ...properties.headers,
        [HEADERS.deadReason]: reason.slice(0, MAX_ERROR_CHARS),
        [HEADERS.deadAt]: new Date().toISOString(),
        [HEADERS.deadFrom]: fromQueue,
      },
    });
  }
}
