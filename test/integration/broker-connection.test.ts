import { Socket } from 'node:net';
import { BrokerConnection } from '@chat/broker';
import { createLogger } from '@chat/logger';
import { expect } from 'chai';
import { AMQP_URL } from '../support/test-environment.js';

/**
 * The AMQP connection's socket sends each write at once. With Nagle's algorithm on (amqplib's
 * default), the frames of a publish after the first wait for the broker's TCP ack, and a quorum
 * queue's confirm comes too late to carry it: every confirmed publish waited for the broker's
 * delayed ack, about 34 ms on this machine (docs/benchmarks.md, optimisation log).
 */
describe('broker connection', () => {
  it('turns Nagle off on its socket', async () => {
    const calls: Array<{ socket: Socket; noDelay: boolean | undefined }> = [];
    const original = Socket.prototype.setNoDelay;
    Socket.prototype.setNoDelay = function (this: Socket, noDelay?: boolean) {
      calls.push({ socket: this, noDelay });
      return original.call(this, noDelay);
    };
    let connection: BrokerConnection | undefined;
    try {
      connection = await BrokerConnection.connect({
        url: AMQP_URL,
        connectionName: 'test nodelay',
        logger: createLogger({ app: 'test', level: 'silent' }),
      });
    } finally {
      Socket.prototype.setNoDelay = original;
    }
    await connection.close();
    expect(calls.length, 'amqplib sets the option on its socket').to.be.greaterThan(0);
    expect(calls.at(-1)?.noDelay).to.equal(true);
  });
});
