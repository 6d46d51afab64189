import type { Channel, ConsumeMessage } from 'amqplib';

/** Where one delivery of a channel stands, as far as acks go. */
export interface AckState {
  readonly message: ConsumeMessage;
  /** `open`: not settled yet; `acked`: to be acked at the next flush; `settled`: nothing more to send. */
  state: 'open' | 'acked' | 'settled';
}

/** Settled deliveries at the front of the list are dropped from it in chunks of this many. */
const COMPACT_AFTER = 1_024;

/**
 * The acks of one consumer channel, sent together once per turn of the event loop. Every
 * delivery taken on the channel is registered in delivery-tag order; `ack` only marks it, and
 * the flush sends one `basic.ack` with `multiple` for the longest run of settled deliveries at
 * the front, then acks the others that are done one by one.
 *
 * Why: on a quorum queue each ack frame is a command of the queue's Raft log, written to the
 * broker's write-ahead log like a publish. A batch of 20 messages acked as 20 frames cost the
 * broker 20 commands and the app 20 socket writes; acked as one, it costs one of each
 * (docs/benchmarks.md, optimisation log).
 *
 * Safety: `multiple` acks every delivery of the channel up to its tag that the broker still
 * holds unacked, so a flush never passes a delivery that is still open, including one left
 * unsettled on purpose to return to the queue when the channel closes. What is done out of
 * order is acked on its own, so one slow delivery never holds the others' acks back (which would
 * also keep the prefetch window full). Nacks are sent at once by the caller and marked `settled`.
 */
export class ChannelAcks {
  readonly #channel: Channel;
  readonly #open: AckState[] = [];
  #head = 0;
  #scheduled = false;

  constructor(channel: Channel) {
    this.#channel = channel;
  }

  /** A delivery just taken on this channel (called in delivery order). */
  track(message: ConsumeMessage): AckState {
    const state: AckState = { message, state: 'open' };
    this.#open.push(state);
    return state;
  }

  /** Marks the delivery done; its ack goes out with the others of this turn. */
  ack(state: AckState): void {
    if (state.state !== 'open') return;
    state.state = 'acked';
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  /** The delivery was settled by other means (a nack sent on its own). */
  settled(state: AckState): void {
    state.state = 'settled';
  }

  /** Sends every ack marked so far. Called before the channel is closed on purpose. */
  flush(): void {
    this.#scheduled = false;
    let last: ConsumeMessage | undefined;
    while (this.#head < this.#open.length) {
      const front = this.#open[this.#head] as AckState;
      if (front.state === 'open') break;
      if (front.state === 'acked') last = front.message;
      front.state = 'settled';
      this.#head += 1;
    }
    if (last) this.#send(last, true);
    for (let index = this.#head; index < this.#open.length; index += 1) {
      const done = this.#open[index] as AckState;
      if (done.state !== 'acked') continue;
      this.#send(done.message, false);
      done.state = 'settled';
    }
    if (this.#head >= COMPACT_AFTER) {
      this.#open.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #send(message: ConsumeMessage, multiple: boolean): void {
    try {
      this.#channel.ack(message, multiple);
    } catch {
      // The channel is gone; the broker redelivers what it held to whoever consumes next.
    }
  }
}
