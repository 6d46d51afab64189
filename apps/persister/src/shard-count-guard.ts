import { type BrokerConnection, QUEUES } from '@chat/broker';

/**
 * Refuses to start next to persisters that run with more shards: chat.inbound hashes over every
 * shard queue bound to it, so the shards beyond this count would fill with nobody consuming them
 * once the larger persisters stop. Fewer shards than before needs the extra queues drained and
 * deleted by an operator first; the error says so.
 */
export async function assertNoForeignShards(broker: BrokerConnection, inboundShards: number): Promise<void> {
  const extra = QUEUES.shard(inboundShards);
  if (await broker.queueExists(extra)) {
    throw new Error(
      `shard queue ${extra} exists, but INBOUND_SHARDS is ${inboundShards}: another persister runs (or ran) ` +
        'with more shards. Run every persister with the same INBOUND_SHARDS; to shrink, drain and delete the extra shard queues first.',
    );
  }
}
