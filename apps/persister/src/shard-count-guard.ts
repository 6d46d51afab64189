import { type BrokerConnection, QUEUES } from '@chat/broker';
import { type PersisterRoster, shardCountOf } from './shard-balancer.js';

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

/**
 * Refuses to start next to live persisters that run with another shard count, before this one
 * declares a single queue: with more shards it would bind new shard queues that the others never
 * consume (and move conversations between writers mid-stream); with fewer it would leave theirs
 * unconsumed once they stop. Changing the count means stopping every persister first.
 */
export async function assertRosterShardCount(roster: PersisterRoster, inboundShards: number): Promise<void> {
  const differing = (await roster.others()).filter((member) => {
    const count = shardCountOf(member);
    return count !== undefined && count !== inboundShards;
  });
  if (differing.length > 0) {
    const counts = [...new Set(differing.map(shardCountOf))].join(', ');
    throw new Error(
      `INBOUND_SHARDS is ${inboundShards}, but ${differing.length} running persister(s) use ${counts}. ` +
        'Run every persister with the same INBOUND_SHARDS; to change it, stop them all first.',
    );
  }
}
