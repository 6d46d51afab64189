import amqp from 'amqplib';
import { round } from '../stats.js';
import { ackingConsumer, publishConfirmed } from './amqp-pump.js';
import type { HopReport } from './inbound-hop.js';
import { persistedEvent } from './message-shape.js';

const EXCHANGE = 'bench.raw-outbound';
const IN_FLIGHT = 1_000;
const PREFETCH = 256;

/**
 * The outbound hop's raw limit (persister → edges): persistent message.persisted events through
 * a confirm channel into a fanout exchange bound, as chat.deliveries is, to two classic queues
 * (one per edge node: exclusive, bounded, drop-head) and one quorum queue (the notifier's), all
 * three consumed at once with manual acks. Rate: the slowest consumer's acks per second, since a
 * message is through the hop only once every queue has it.
 */
export async function outboundHop(amqpUrl: string, durationMs: number): Promise<HopReport> {
  const producer = await amqp.connect(amqpUrl);
  const consumers = [await amqp.connect(amqpUrl), await amqp.connect(amqpUrl), await amqp.connect(amqpUrl)];
  const quorumQueue = `${EXCHANGE}.quorum`;
  try {
    const publish = await producer.createConfirmChannel();
    await publish.assertExchange(EXCHANGE, 'fanout', { durable: true });
    await publish.assertQueue(quorumQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await publish.purgeQueue(quorumQueue);
    await publish.bindQueue(quorumQueue, EXCHANGE, '');
    const counters = [];
    for (const [index, connection] of consumers.entries()) {
      const channel = await connection.createChannel();
      let queue = quorumQueue;
      if (index < 2) {
        // Like declareEdgeQueue: exclusive to its consumer's connection, so it goes with it.
        queue = `${EXCHANGE}.edge-${index}`;
        await channel.assertQueue(queue, {
          exclusive: true,
          autoDelete: true,
          durable: false,
          arguments: { 'x-queue-type': 'classic', 'x-max-length': 100_000, 'x-overflow': 'drop-head' },
        });
        await channel.bindQueue(queue, EXCHANGE, '');
      }
      counters.push(await ackingConsumer(channel, queue, PREFETCH));
    }
    const content = Buffer.from(JSON.stringify(persistedEvent()));
    const { elapsedMs } = await publishConfirmed({
      channel: publish,
      exchange: EXCHANGE,
      routingKey: 'message.persisted',
      content,
      inFlight: IN_FLIGHT,
      durationMs,
    });
    const slowest = Math.min(...counters.map((counter) => counter.count()));
    await publish.deleteQueue(quorumQueue);
    await publish.deleteExchange(EXCHANGE);
    return {
      ratePerS: round(slowest / (elapsedMs / 1000), 0),
      messages: slowest,
      messageBytes: content.length,
      how: `fanout to 2 classic + 1 quorum queue, persistent, confirms (${IN_FLIGHT} in flight), 3 consumers with manual acks (prefetch ${PREFETCH}); the slowest queue's rate`,
    };
  } finally {
    await producer.close().catch(() => undefined);
    for (const connection of consumers) await connection.close().catch(() => undefined);
  }
}
