import { BrokerConnection, type Delivery, QueueConsumer } from '@chat/broker';
import { createLogger } from '@chat/logger';
import amqp from 'amqplib';
import { expect } from 'chai';
import { AMQP_URL } from '../support/test-environment.js';
import { eventually } from '../support/wait.js';

/**
 * Acks of a channel go out together (`ChannelAcks`), on a real quorum queue: a delivery held open
 * neither holds the others' acks back (the prefetch window keeps moving) nor is acked by them,
 * so when the channel closes exactly the held one returns to the queue.
 */
describe('broker acks', () => {
  const logger = createLogger({ app: 'test', level: 'silent' });
  const queue = `test.acks.${Date.now()}`;
  const PREFETCH = 5;
  const MESSAGES = 40;

  it('acks around a held delivery without stalling, and leaves only that one unacked', async () => {
    const admin = await amqp.connect(AMQP_URL);
    const channel = await admin.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const connection = await BrokerConnection.connect({ url: AMQP_URL, connectionName: 'test acks', logger });
    try {
      const seen: string[] = [];
      let held: Delivery | undefined;
      const consumer = new QueueConsumer(
        connection,
        logger,
        { name: 'acks', queue, prefetch: PREFETCH },
        (delivery) => {
          seen.push(delivery.message.content.toString());
          if (!held) held = delivery;
          else delivery.ack();
        },
      );
      await connection.register(consumer);
      for (let i = 0; i < MESSAGES; i += 1) channel.sendToQueue(queue, Buffer.from(`m${i}`), { persistent: true });
      await channel.waitForConfirms();
      // With acks held behind the open first delivery, only PREFETCH messages would ever arrive.
      await eventually('every message delivered', () => seen.length === MESSAGES, 10_000, 50);
      expect(held?.message.content.toString()).to.equal('m0');
      await consumer.stop();

      // The held message is back, and nothing else is.
      const check = await admin.createChannel();
      const left: string[] = [];
      await check.consume(queue, (message) => {
        if (message) left.push(message.content.toString());
      });
      await eventually('the held message back in the queue', () => left.length >= 1, 10_000, 50);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(left).to.deep.equal(['m0']);
      expect(new Set(seen).size).to.equal(MESSAGES);
    } finally {
      await channel.deleteQueue(queue).catch(() => undefined);
      await connection.close();
      await admin.close();
    }
  });
});
