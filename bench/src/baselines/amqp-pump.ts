import type { Channel, ConfirmChannel } from 'amqplib';

/**
 * The two halves of a raw broker hop: a publisher that keeps `inFlight` unconfirmed messages
 * outstanding for as long as it runs, and consumers that ack what they get. Publishing is paced
 * by confirms only, so the rate is the broker's, not a chosen one.
 */
export async function publishConfirmed(options: {
  channel: ConfirmChannel;
  exchange: string;
  routingKey: string;
  content: Buffer;
  inFlight: number;
  /** Publishes until this many are confirmed, or until `durationMs` passed. */
  count?: number;
  durationMs?: number;
}): Promise<{ confirmed: number; elapsedMs: number }> {
  const { channel, exchange, routingKey, content } = options;
  const limit = options.count ?? Number.POSITIVE_INFINITY;
  const startedAt = performance.now();
  const deadline = startedAt + (options.durationMs ?? Number.POSITIVE_INFINITY);
  let published = 0;
  let confirmed = 0;
  let inFlight = 0;
  await new Promise<void>((resolve) => {
    const done = () => performance.now() >= deadline || published >= limit;
    const pump = () => {
      while (!done() && inFlight < options.inFlight) {
        inFlight += 1;
        published += 1;
        channel.publish(exchange, routingKey, content, { persistent: true }, () => {
          inFlight -= 1;
          confirmed += 1;
          if (done() && inFlight === 0) resolve();
          else if (!done()) setImmediate(pump);
        });
      }
    };
    pump();
    // A duration-bound run stops counting at the deadline, not when the last confirm arrives.
    if (options.durationMs !== undefined) setTimeout(resolve, options.durationMs);
  });
  return { confirmed, elapsedMs: performance.now() - startedAt };
}

/** A consumer with manual acks: `count()` is how many it has acked so far. */
export async function ackingConsumer(channel: Channel, queue: string, prefetch: number): Promise<{ count(): number }> {
  await channel.prefetch(prefetch);
  let consumed = 0;
  await channel.consume(queue, (message) => {
    if (!message) return;
    consumed += 1;
    channel.ack(message);
  });
  return { count: () => consumed };
}
