import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { round } from '../stats.js';
import { ackingConsumer, publishConfirmed } from './amqp-pump.js';
import { createdEvent } from './message-shape.js';

const QUEUE = 'bench.raw-backlog';
const IN_FLIGHT = 1_000;
const PREFETCH = 1_024;

export interface BacklogReport {
  messages: number;
  /** Publish only, into an unconsumed quorum queue: how fast the drain's backlog can be queued. */
  publishPerS: number;
  /** Consume only, from that backlog, with manual acks: the drain's inbound stage. */
  consumePerS: number;
  messageBytes: number;
}

/**
 * The drain's inbound stage: a backlog of `messages` message.created events in a quorum queue,
 * consumed with nothing publishing meanwhile (as the persisters find it after a stop).
 */
export async function backlogConsume(amqpUrl: string, messages: number): Promise<BacklogReport> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const publish = await connection.createConfirmChannel();
    await publish.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await publish.purgeQueue(QUEUE);
    const content = Buffer.from(JSON.stringify(createdEvent()));
    const queued = await publishConfirmed({
      channel: publish,
      exchange: '',
      routingKey: QUEUE,
      content,
      inFlight: IN_FLIGHT,
      count: messages,
    });
    const startedAt = performance.now();
    const consumer = await ackingConsumer(await connection.createChannel(), QUEUE, PREFETCH);
    // Bounded: a broker that stalls must not hang the whole run.
    const deadline = startedAt + 120_000;
    while (consumer.count() < messages && performance.now() < deadline) await sleep(5);
    const consumeS = (performance.now() - startedAt) / 1000;
    await publish.deleteQueue(QUEUE);
    return {
      messages,
      publishPerS: round(messages / (queued.elapsedMs / 1000), 0),
      consumePerS: round(consumer.count() / consumeS, 0),
      messageBytes: content.length,
    };
  } finally {
    await connection.close().catch(() => undefined);
  }
}
