import amqp from 'amqplib';
import { round } from '../stats.js';
import { ackingConsumer, publishConfirmed } from './amqp-pump.js';
import { createdEvent } from './message-shape.js';

const QUEUE = 'bench.raw-inbound';
const IN_FLIGHT = 1_000;
const PREFETCH = 256;

export interface HopReport {
  ratePerS: number;
  /** Through the hop in the measured window. */
  messages: number;
  messageBytes: number;
  how: string;
}

/**
 * The inbound hop's raw limit (edge → persister): persistent message.created events into a
 * durable quorum queue through a confirm channel (1,000 unconfirmed at most), consumed at the
 * same time on another connection with manual acks, prefetch 256. Rate: acked per second.
 */
export async function inboundHop(amqpUrl: string, durationMs: number): Promise<HopReport> {
  const producer = await amqp.connect(amqpUrl);
  const consumer = await amqp.connect(amqpUrl);
  try {
    const publish = await producer.createConfirmChannel();
    await publish.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await publish.purgeQueue(QUEUE);
    const content = Buffer.from(JSON.stringify(createdEvent()));
    const consumed = await ackingConsumer(await consumer.createChannel(), QUEUE, PREFETCH);
    const { elapsedMs } = await publishConfirmed({
      channel: publish,
      exchange: '',
      routingKey: QUEUE,
      content,
      inFlight: IN_FLIGHT,
      durationMs,
    });
    const messages = consumed.count();
    await publish.deleteQueue(QUEUE);
    return {
      ratePerS: round(messages / (elapsedMs / 1000), 0),
      messages,
      messageBytes: content.length,
      how: `quorum queue, persistent, confirms (${IN_FLIGHT} in flight) + manual acks (prefetch ${PREFETCH}), publish and consume at once`,
    };
  } finally {
    await producer.close().catch(() => undefined);
    await consumer.close().catch(() => undefined);
  }
}
