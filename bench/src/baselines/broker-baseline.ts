import amqp from 'amqplib';
import { round } from '../stats.js';
import { sampleEvent } from './message-shape.js';

const QUEUE = 'bench.raw-broker';
const IN_FLIGHT = 1_000;

/**
 * The broker's raw limit for one hop as the pipeline uses it: persistent messages of the same
 * size into a durable quorum queue through a confirm channel (1,000 unconfirmed at most), and
 * a consumer on another connection with manual acks and prefetch 256.
 */
export async function brokerBaseline(amqpUrl: string, durationMs: number) {
  const producer = await amqp.connect(amqpUrl);
  const consumer = await amqp.connect(amqpUrl);
  try {
    const publish = await producer.createConfirmChannel();
    await publish.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await publish.purgeQueue(QUEUE);
    const content = Buffer.from(JSON.stringify(sampleEvent()));
    const consume = await consumer.createChannel();
    await consume.prefetch(256);
    let consumed = 0;
    await consume.consume(QUEUE, (message) => {
      if (!message) return;
      consumed += 1;
      consume.ack(message);
    });
    let inFlight = 0;
    let stop = false;
    const startedAt = performance.now();
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (!stop && inFlight < IN_FLIGHT) {
          inFlight += 1;
          publish.publish('', QUEUE, content, { persistent: true }, () => {
            inFlight -= 1;
            if (!stop) setImmediate(pump);
          });
        }
      };
      pump();
      setTimeout(() => {
        stop = true;
        resolve();
      }, durationMs);
    });
    const consumedAtEnd = consumed;
    const elapsedS = (performance.now() - startedAt) / 1000;
    await publish.deleteQueue(QUEUE);
    return {
      ratePerS: round(consumedAtEnd / elapsedS, 0),
      messageBytes: content.length,
      queue: 'quorum, durable, persistent, confirms + manual acks',
    };
  } finally {
    await producer.close().catch(() => undefined);
    await consumer.close().catch(() => undefined);
  }
}
