import type { Channel, Options } from 'amqplib';

/**
 * Every exchange, queue and binding of the system: the single source of truth. Every app
 * declares all of it at start and after every reconnect; declarations are idempotent, and a
 * mismatch (same name, other arguments) fails loudly instead of half-working.
 */

export const EXCHANGES = {
  /** Consistent-hash on the `conversation-id` header: one conversation, one shard, one writer. */
  inbound: 'chat.inbound',
  /** Fanout to every edge node and the notifier: persisted messages, presence, typing, receipts. */
  deliveries: 'chat.deliveries',
  /** Direct: connect / disconnect / heartbeat / snapshot events from edges to the presence worker. */
  presence: 'chat.presence',
  /** Fanout: messages that can never be written, or ran out of retries. */
  dead: 'chat.dead',
} as const;

export const QUEUES = {
  shard: (index: number) => `persister.messages.${index}`,
  retry: (delayMs: number) => `persister.retry.${durationLabel(delayMs)}`,
  dead: 'persister.dead',
  notifierDeliveries: 'notifier.deliveries',
  presenceEvents: 'presence.events',
  edge: (nodeId: string) => `edge.${nodeId}`,
} as const;

/** Message headers of our own. Attempts are counted here, not in `x-death`, which RabbitMQ 3.13+ ignores on republish. */
export const HEADERS = {
  /** The consistent-hash key: every message of a conversation lands on the same shard. */
  conversationId: 'conversation-id',
  /** Failed write attempts so far. */
  attempts: 'chat-attempts',
  lastError: 'chat-last-error',
  /** Why a message is in the dead-letter queue. */
  deadReason: 'chat-dead-reason',
  deadAt: 'chat-dead-at',
  /** Which shard queue it died on. */
  deadFrom: 'chat-dead-from',
} as const;

export const PRESENCE_ROUTING_KEYS = ['connected', 'disconnected', 'heartbeat', 'snapshot'] as const;
export type PresenceRoutingKey = (typeof PRESENCE_ROUTING_KEYS)[number];

/** Edge queues hold pushes for live sockets only; past this, the oldest are dropped (clients resync from history). */
export const EDGE_QUEUE_MAX_LENGTH = 100_000;
/**
 * A message redelivered this many times (its consumer crashed on it each time) is dead-lettered
 * by the broker itself, so one poison message cannot stall its shard forever.
 */
export const SHARD_DELIVERY_LIMIT = 50;

export interface TopologyOptions {
  inboundShards: number;
  retryDelaysMs: number[];
}

interface QueueDeclaration {
  name: string;
  options: Options.AssertQueue;
  bindings: Array<{ exchange: string; routingKey: string }>;
}

interface ExchangeDeclaration {
  name: string;
  type: string;
  options: Options.AssertExchange;
}

export interface Topology {
  exchanges: ExchangeDeclaration[];
  queues: QueueDeclaration[];
}

const quorum = (extra: Record<string, unknown> = {}): Options.AssertQueue => ({
  durable: true,
  arguments: { 'x-queue-type': 'quorum', ...extra },
});

/** The whole shared topology for a deployment's shard count and retry ladder. */
export function topologyOf(options: TopologyOptions): Topology {
  const exchanges: ExchangeDeclaration[] = [
    {
      name: EXCHANGES.inbound,
      type: 'x-consistent-hash',
      options: { durable: true, arguments: { 'hash-header': HEADERS.conversationId } },
    },
    { name: EXCHANGES.deliveries, type: 'fanout', options: { durable: true } },
    { name: EXCHANGES.presence, type: 'direct', options: { durable: true } },
    { name: EXCHANGES.dead, type: 'fanout', options: { durable: true } },
  ];
  const shards: QueueDeclaration[] = Array.from({ length: options.inboundShards }, (_, index) => ({
    name: QUEUES.shard(index),
    options: quorum({
      'x-single-active-consumer': true,
      'x-delivery-limit': SHARD_DELIVERY_LIMIT,
      'x-dead-letter-exchange': EXCHANGES.dead,
    }),
    // For a consistent-hash exchange the routing key is the shard's weight on the ring.
    bindings: [{ exchange: EXCHANGES.inbound, routingKey: '1' }],
  }));
  // A delay queue holds a failed message for its TTL, then dead-letters it back into
  // chat.inbound, where its conversation-id header hashes it to its home shard again.
  // Quorum with at-least-once dead-lettering: a broker restart mid-wait loses nothing.
  const retries: QueueDeclaration[] = options.retryDelaysMs.map((delayMs) => ({
    name: QUEUES.retry(delayMs),
    options: quorum({
      'x-message-ttl': delayMs,
      'x-dead-letter-exchange': EXCHANGES.inbound,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    }),
    bindings: [],
  }));
  return {
    exchanges,
    queues: [
      ...shards,
      ...retries,
      { name: QUEUES.dead, options: quorum(), bindings: [{ exchange: EXCHANGES.dead, routingKey: '' }] },
      {
        name: QUEUES.notifierDeliveries,
        options: quorum(),
        bindings: [{ exchange: EXCHANGES.deliveries, routingKey: '' }],
      },
      {
        // One active consumer: a session's connect and disconnect are applied in the order sent.
        name: QUEUES.presenceEvents,
        options: quorum({ 'x-single-active-consumer': true }),
        bindings: PRESENCE_ROUTING_KEYS.map((routingKey) => ({ exchange: EXCHANGES.presence, routingKey })),
      },
    ],
  };
}

/** Declares everything, in order: exchanges, then queues with their bindings. */
export async function declareTopology(channel: Channel, topology: Topology): Promise<void> {
  for (const exchange of topology.exchanges) {
    await channel.assertExchange(exchange.name, exchange.type, exchange.options);
  }
  for (const queue of topology.queues) {
    await channel.assertQueue(queue.name, queue.options);
    for (const binding of queue.bindings) await channel.bindQueue(queue.name, binding.exchange, binding.routingKey);
  }
}

/**
 * An edge node's own delivery queue: classic (quorum queues are not for temporary queues),
 * exclusive to its connection, deleted with it, and bounded.
 */
export async function declareEdgeQueue(channel: Channel, nodeId: string): Promise<string> {
  const name = QUEUES.edge(nodeId);
  await channel.assertQueue(name, {
    exclusive: true,
    autoDelete: true,
    durable: false,
    arguments: { 'x-queue-type': 'classic', 'x-max-length': EDGE_QUEUE_MAX_LENGTH, 'x-overflow': 'drop-head' },
  });
  await channel.bindQueue(name, EXCHANGES.deliveries, '');
  return name;
}

/** 1000 → "1s", 120000 → "2m", 1500 → "1500ms": names that read well in the console. */
export function durationLabel(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
