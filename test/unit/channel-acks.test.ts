import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Channel, ConsumeMessage } from 'amqplib';
import { expect } from 'chai';
import { type AckState, ChannelAcks } from '../../libs/broker/src/channel-acks.js';

/**
 * The rule of `ChannelAcks`, on a channel that records what it is told: a run of settled
 * deliveries at the front goes as one `multiple` ack, what is done behind an open delivery goes
 * one by one, and nothing open (or nacked) is ever covered. The real broker's side is in
 * test/integration/broker-acks.test.ts.
 */
function recordingChannel() {
  const sent: Array<{ tag: number; multiple: boolean }> = [];
  const channel = {
    ack: (message: ConsumeMessage, multiple = false) => sent.push({ tag: message.fields.deliveryTag, multiple }),
  } as unknown as Channel;
  return { channel, sent };
}

function message(tag: number): ConsumeMessage {
  return { fields: { deliveryTag: tag }, properties: {}, content: Buffer.alloc(0) } as unknown as ConsumeMessage;
}

/** Tracks a delivery per tag, in order; the states come back as a tuple of the same length. */
function trackAll<const T extends readonly number[]>(acks: ChannelAcks, tags: T): { [K in keyof T]: AckState } {
  return tags.map((tag) => acks.track(message(tag))) as { [K in keyof T]: AckState };
}

describe('channel acks', () => {
  it('sends the acks of one turn as one multiple ack', async () => {
    const { channel, sent } = recordingChannel();
    const acks = new ChannelAcks(channel);
    const states = [1, 2, 3, 4].map((tag) => acks.track(message(tag)));
    for (const state of states) acks.ack(state);
    expect(sent, 'nothing before the turn ends').to.deep.equal([]);
    await nextTurn();
    expect(sent).to.deep.equal([{ tag: 4, multiple: true }]);
  });

  it('never covers an open delivery: what is done behind it is acked one by one', async () => {
    const { channel, sent } = recordingChannel();
    const acks = new ChannelAcks(channel);
    const [one, two, three, four] = trackAll(acks, [1, 2, 3, 4]);
    acks.ack(one);
    acks.ack(three);
    acks.ack(four);
    await nextTurn();
    expect(sent).to.deep.equal([
      { tag: 1, multiple: true },
      { tag: 3, multiple: false },
      { tag: 4, multiple: false },
    ]);
    // Once the open one is done, only it is left to ack.
    acks.ack(two);
    await nextTurn();
    expect(sent.slice(3)).to.deep.equal([{ tag: 2, multiple: true }]);
  });

  it('skips nacked deliveries and never acks one twice', async () => {
    const { channel, sent } = recordingChannel();
    const acks = new ChannelAcks(channel);
    const [one, two, three] = trackAll(acks, [1, 2, 3]);
    acks.settled(one);
    acks.ack(two);
    acks.ack(two);
    acks.flush();
    acks.ack(three);
    acks.flush();
    acks.flush();
    await nextTurn();
    expect(sent).to.deep.equal([
      { tag: 2, multiple: true },
      { tag: 3, multiple: true },
    ]);
  });

  it('leaves a delivery that is never settled unacked, whatever follows it', async () => {
    const { channel, sent } = recordingChannel();
    const acks = new ChannelAcks(channel);
    acks.track(message(1));
    const later = Array.from({ length: 2_000 }, (_, i) => acks.track(message(i + 2)));
    for (const state of later) acks.ack(state);
    await nextTurn();
    expect(sent).to.have.length(2_000);
    expect(sent.every((ack) => !ack.multiple && ack.tag >= 2)).to.equal(true);
  });
});
