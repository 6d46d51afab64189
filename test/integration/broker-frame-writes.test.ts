import { Socket } from 'node:net';
import { BrokerConnection, ConfirmPublisher } from '@chat/broker';
import { createLogger } from '@chat/logger';
import amqp from 'amqplib';
import { expect } from 'chai';
import { AMQP_URL } from '../support/test-environment.js';

/**
 * Frames queued in one turn of the event loop reach the broker's socket as one write
 * (`frame-coalescing.ts`): amqplib alone writes each frame with a system call of its own.
 * Counted at the socket, on a real broker connection, for the publishes of one burst.
 */
describe('broker frame writes', () => {
  const logger = createLogger({ app: 'test', level: 'silent' });
  const queue = `test.frame-writes.${Date.now()}`;
  const PUBLISHES = 20;
  const brokerPort = Number(new URL(AMQP_URL).port || 5672);

  /** Counts the writes that leave for the broker's port while `work` runs. */
  async function socketWritesDuring(work: () => Promise<void>): Promise<number> {
    const prototype = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
    const write = prototype._write;
    const writev = prototype._writev;
    let writes = 0;
    const counted = (original: (...args: unknown[]) => unknown) =>
      function (this: Socket, ...args: unknown[]) {
        if (this.remotePort === brokerPort) writes += 1;
        return original.apply(this, args);
      };
    prototype._write = counted(write);
    prototype._writev = counted(writev);
    try {
      await work();
    } finally {
      prototype._write = write;
      prototype._writev = writev;
    }
    return writes;
  }

  it('sends a burst of confirmed publishes in one socket write', async () => {
    const admin = await amqp.connect(AMQP_URL);
    const channel = await admin.createChannel();
    await channel.assertQueue(queue, { durable: false, autoDelete: true });
    const connection = await BrokerConnection.connect({ url: AMQP_URL, connectionName: 'test frame writes', logger });
    const publisher = new ConfirmPublisher(connection, logger);
    await connection.register(publisher);
    try {
      const writes = await socketWritesDuring(async () => {
        const confirmed = Array.from({ length: PUBLISHES }, (_, index) =>
          publisher.publish('', queue, Buffer.from(`m${index}`), { messageId: `m${index}` }),
        );
        await Promise.all(confirmed);
      });
      // Each publish alone would be one write (method, header and body go as one chunk).
      expect(writes).to.equal(1);
      const check = await channel.checkQueue(queue);
      expect(check.messageCount).to.equal(PUBLISHES);
    } finally {
      await connection.close();
      await channel.deleteQueue(queue).catch(() => undefined);
      await admin.close();
    }
  });
});
