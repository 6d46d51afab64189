import type { Channel, Options } from 'amqplib';

/**
 * Every exchange and queue of the system, by name, with its declaration: the single source of
 * truth. Each app declares only what it publishes to and consumes (`Topology`), at start and after
 * every reconnect; declarations are idempotent, and a mismatch (same name, other arguments) fails
 * loudly instead of half-working. Parameters that belong to one app (the persister's shard count
 * and retry delays) are arguments of that app's queue declarations, known to no other app.
 */

export const EXCHANGES = {
  /** Consistent-hash on the `conversation-id` header: one conversation, one shard, one writer. */
  inbound: 'chat.inbound',
  /**
   * Topic: durable domain events, routed by event type. Its `log.*` events (`log.appended`) are
   * forwarded into chat.deliveries, so every edge gets them; durable consumers bind only the keys
   * they act on: the notifier takes `notifications.due`, and never sees log, typing, presence or
   * membership traffic.
   */
  events: 'chat.events',
  /** Fanout to every edge node: domain events (through chat.events) and ephemeral ones (typing, presence, receipts). */
  deliveries: 'chat.deliveries',
  /** Direct: connect / disconnect / heartbeat / snapshot events from edges to the presence worker. */
  presence: 'chat.presence',
  /** Fanout: messages that can never be written, or ran out of retries. */
  dead: 'chat.dead',
} as const;

export type ExchangeName = (typeof EXCHANGES)[keyof typeof EXCHANGES];

/** AMQP's default exchange: routes to the queue named by the routing key (answers to one edge's queue). */
export const DEFAULT_EXCHANGE = '';

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
  /** Failed attempts so far. */
  attempts: 'chat-attempts',
  lastError: 'chat-last-error',
  /** Why a message is in the dead-letter queue. */
  deadReason: 'chat-dead-reason',
  deadAt: 'chat-dead-at',
  /** Which queue it died on. */
  deadFrom: 'chat-dead-from',
  /** Set by `dlq:replay` on what it moves back. */
  replayedAt: 'chat-replayed-at',
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

interface ExchangeDeclaration {
  type: string;
  options: Options.AssertExchange;
  /** Exchanges this one forwards to (exchange-to-exchange bindings), by routing-key pattern. */
  forwardsTo?: Array<{ exchange: ExchangeName; pattern: string }>;
  /** Forwards of earlier versions to remove (unbinding one that is not there is a no-op). */
  obsoleteForwards?: Array<{ exchange: ExchangeName; pattern: string }>;
}

const EXCHANGE_DECLARATIONS: Record<ExchangeName, ExchangeDeclaration> = {
  [EXCHANGES.inbound]: {
    type: 'x-consistent-hash',
    options: { durable: true, arguments: { 'hash-header': HEADERS.conversationId } },
  },
  [EXCHANGES.events]: {
    type: 'topic',
    options: { durable: true },
    forwardsTo: [{ exchange: EXCHANGES.deliveries, pattern: 'log.#' }],
    // Before notifications.due existed, every event of chat.events went to the edges.
    obsoleteForwards: [{ exchange: EXCHANGES.deliveries, pattern: '#' }],
  },
  [EXCHANGES.deliveries]: { type: 'fanout', options: { durable: true } },
  [EXCHANGES.presence]: { type: 'direct', options: { durable: true } },
  [EXCHANGES.dead]: { type: 'fanout', options: { durable: true } },
};

export interface QueueDeclaration {
  name: string;
  options: Options.AssertQueue;
  bindings: Array<{ exchange: ExchangeName; routingKey: string }>;
  /** Bindings of earlier versions to remove (unbinding one that is not there is a no-op). */
  obsoleteBindings?: Array<{ exchange: ExchangeName; routingKey: string }>;
}

/** What one app declares: the exchanges it publishes to or binds from, and the durable queues it owns. */
export interface Topology {
  exchanges: ExchangeName[];
  queues: QueueDeclaration[];
}

const quorum = (extra: Record<string, unknown> = {}): Options.AssertQueue => ({
  durable: true,
  arguments: { 'x-queue-type': 'quorum', ...extra },
});

/** A persister shard: quorum, one active consumer at a time, poison past the delivery limit goes to chat.dead. */
export function shardQueue(index: number): QueueDeclaration {
  return {
    name: QUEUES.shard(index),
    options: quorum({
      'x-single-active-consumer': true,
      'x-delivery-limit': SHARD_DELIVERY_LIMIT,
      'x-dead-letter-exchange': EXCHANGES.dead,
    }),
    // For a consistent-hash exchange the routing key is the shard's weight on the ring.
    bindings: [{ exchange: EXCHANGES.inbound, routingKey: '1' }],
  };
}

/**
 * A delay queue of the retry ladder: holds a failed message for its TTL, then dead-letters it
 * back into chat.inbound, where its conversation-id header hashes it to its home shard again.
 * Quorum with at-least-once dead-lettering: a broker restart mid-wait loses nothing.
 */
export function retryQueue(delayMs: number): QueueDeclaration {
  return {
    name: QUEUES.retry(delayMs),
    options: quorum({
      'x-message-ttl': delayMs,
      'x-dead-letter-exchange': EXCHANGES.inbound,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    }),
    bindings: [],
  };
}

export const deadQueue: QueueDeclaration = {
  name: QUEUES.dead,
  options: quorum(),
  bindings: [{ exchange: EXCHANGES.dead, routingKey: '' }],
};

/** The notifier acts on messages to offline recipients only, so that is all its replicated queue receives. */
export const notifierQueue: QueueDeclaration = {
  name: QUEUES.notifierDeliveries,
  options: quorum(),
  bindings: [{ exchange: EXCHANGES.events, routingKey: 'notifications.due' }],
  obsoleteBindings: [
    // Before chat.events existed this queue took the whole fanout (typing, presence, ...).
    { exchange: EXCHANGES.deliveries, routingKey: '' },
    // Before batches were announced as one event, each message was one `message.persisted`.
    { exchange: EXCHANGES.events, routingKey: 'message.persisted' },
    // Before the writer looked presence up, every written batch came here (`log.appended`).
    { exchange: EXCHANGES.events, routingKey: 'log.appended' },
  ],
};

/** One active consumer: a session's connect and disconnect are applied in the order sent. */
export const presenceQueue: QueueDeclaration = {
  name: QUEUES.presenceEvents,
  options: quorum({ 'x-single-active-consumer': true }),
  bindings: PRESENCE_ROUTING_KEYS.map((routingKey) => ({ exchange: EXCHANGES.presence, routingKey })),
};

/** Declares an app's topology in order: exchanges (and what they forward to), then queues with their bindings. */
export async function declareTopology(channel: Channel, topology: Topology): Promise<void> {
  const declared = new Set<ExchangeName>();
  const declareExchange = async (name: ExchangeName): Promise<void> => {
    if (declared.has(name)) return;
    declared.add(name);
    const declaration = EXCHANGE_DECLARATIONS[name];
    for (const target of declaration.forwardsTo ?? []) await declareExchange(target.exchange);
    await channel.assertExchange(name, declaration.type, declaration.options);
    for (const target of declaration.forwardsTo ?? [])
      await channel.bindExchange(target.exchange, name, target.pattern);
    for (const target of declaration.obsoleteForwards ?? [])
      await channel.unbindExchange(target.exchange, name, target.pattern);
  };
  for (const exchange of topology.exchanges) await declareExchange(exchange);
  for (const queue of topology.queues) {
    for (const binding of queue.bindings) await declareExchange(binding.exchange);
    await channel.assertQueue(queue.name, queue.options);
    for (const binding of queue.bindings) await channel.bindQueue(queue.name, binding.exchange, binding.routingKey);
    for (const binding of queue.obsoleteBindings ?? []) {
      await channel.unbindQueue(queue.name, binding.exchange, binding.routingKey);
    }
  }
}

/**
 * An edge node's own delivery queue: classic (quorum queues are not for temporary queues),
 * exclusive to its connection, deleted with it, and bounded.
 */
export async function declareEdgeQueue(channel: Channel, nodeId: string): Promise<string> {
  const name = QUEUES.edge(nodeId);
  await channel.assertExchange(EXCHANGES.deliveries, 'fanout', EXCHANGE_DECLARATIONS[EXCHANGES.deliveries].options);
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
