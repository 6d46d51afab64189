export { BrokerConnection, type BrokerConnectionOptions, type ChannelOwner } from './broker-connection.js';
export { CONFIRM_TIMEOUT_MS, ConfirmPublisher, type PublishOptions } from './confirm-publisher.js';
export { attemptsOf, DeadLetters, nextStep, type RetryStep } from './dead-letters.js';
export { EVENTS, type EventDefinition } from './event-catalogue.js';
export { EventPublisher, InvalidEventError } from './event-publisher.js';
export {
  EventWorker,
  type EventWorkerCounters,
  type EventWorkerOptions,
  type OrderingPolicy,
  PoisonEventError,
  type PoisonPolicy,
  type RetryPolicy,
} from './event-worker.js';
export { Delivery, QueueConsumer, type QueueConsumerOptions } from './queue-consumer.js';
export {
  DEFAULT_EXCHANGE,
  deadQueue,
  declareEdgeQueue,
  declareTopology,
  durationLabel,
  EDGE_QUEUE_MAX_LENGTH,
  EXCHANGES,
  type ExchangeName,
  HEADERS,
  notifierQueue,
  PRESENCE_ROUTING_KEYS,
  type PresenceRoutingKey,
  presenceQueue,
  QUEUES,
  type QueueDeclaration,
  retryQueue,
  SHARD_DELIVERY_LIMIT,
  shardQueue,
  type Topology,
} from './topology.js';
