export { BrokerConnection, type BrokerConnectionOptions, type ChannelOwner } from './broker-connection.js';
export { CONFIRM_TIMEOUT_MS, ConfirmPublisher, type PublishOptions } from './confirm-publisher.js';
export { Delivery, QueueConsumer, type QueueConsumerOptions } from './queue-consumer.js';
export {
  declareEdgeQueue,
  declareTopology,
  durationLabel,
  EDGE_QUEUE_MAX_LENGTH,
  EXCHANGES,
  HEADERS,
  PRESENCE_ROUTING_KEYS,
  type PresenceRoutingKey,
  QUEUES,
  SHARD_DELIVERY_LIMIT,
  type Topology,
  type TopologyOptions,
  topologyOf,
} from './topology.js';
