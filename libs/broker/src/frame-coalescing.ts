import type { ChannelModel } from 'amqplib';

/**
 * amqplib writes each frame it has queued to the socket with a `write` of its own: its muxer
 * drains every channel's frames in one pass (once per turn of the event loop), one socket write
 * per frame. Publishes, acks and confirms-in-waiting of several channels queued in the same turn
 * cost a system call each, and on a VM a loopback write also pays the broker's wake-up.
 * Corking the socket around that pass hands the kernel all of them in one `writev`; the bytes
 * and their order are unchanged.
 *
 * This reaches into amqplib's internals (`connection.muxer`, `connection.stream`, the muxer's
 * `_readIncoming`), checked at run time: if a later amqplib has other internals, frames are
 * written as amqplib writes them and `coalesceFrameWrites` says so by returning false.
 */
interface MuxerInternals {
  _readIncoming: () => void;
}
interface ConnectionInternals {
  muxer?: MuxerInternals;
  stream?: { cork?: () => void; uncork?: () => void };
}

const COALESCED = Symbol('frames coalesced');

export function coalesceFrameWrites(model: ChannelModel): boolean {
  const connection = (model as unknown as { connection?: ConnectionInternals }).connection;
  const muxer = connection?.muxer as (MuxerInternals & { [COALESCED]?: true }) | undefined;
  const stream = connection?.stream;
  if (!muxer || typeof muxer._readIncoming !== 'function' || !stream?.cork || !stream.uncork) return false;
  if (muxer[COALESCED]) return true;
  const drain = muxer._readIncoming.bind(muxer);
  const cork = stream.cork.bind(stream);
  const uncork = stream.uncork.bind(stream);
  muxer._readIncoming = () => {
    cork();
    try {
      drain();
    } finally {
      uncork();
    }
  };
  muxer[COALESCED] = true;
  return true;
}
