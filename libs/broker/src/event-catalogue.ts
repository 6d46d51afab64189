import { randomUUID } from 'node:crypto';
import {
  type CommandAnsweredEvent,
  type CommandRequestedEvent,
  commandAnsweredEvent,
  commandRequestedEvent,
  type LogAppendedEvent,
  logAppendedEvent,
  type MembershipChangedEvent,
  type MessageCreatedEvent,
  type MessageReadEvent,
  membershipChangedEvent,
  messageCreatedEvent,
  messageReadEvent,
  type NotificationsDueEvent,
  notificationsDueEvent,
  type PresenceChangedEvent,
  type PresenceEvent,
  type PresenceResyncEvent,
  presenceChangedEvent,
  presenceEvent,
  presenceResyncEvent,
  type ReceiptsChangedEvent,
  receiptsChangedEvent,
  type TypingEvent,
  typingEvent,
} from '@chat/contracts';
import type { z } from 'zod';
import { DEFAULT_EXCHANGE, EXCHANGES, HEADERS } from './topology.js';

/**
 * One entry of the event catalogue: everything a publisher and a consumer must agree on about
 * one kind of event. Call sites name the definition and hand over the event; the encoding, the
 * headers, the id scheme and the delivery mode live here and nowhere else.
 */
export interface EventDefinition<T> {
  /** The catalogue's name for it (logs, metrics); the AMQP `type` property is the event's own `type`. */
  readonly name: string;
  readonly exchange: string;
  readonly routingKey: (event: T) => string;
  readonly schema: z.ZodType<T>;
  /**
   * The AMQP `message-id`. Where a repeat must be recognisable (a redelivery, a resend) it is
   * derived from the event; otherwise it is unique per publish.
   */
  readonly messageId: (event: T) => string;
  /** Persistent delivery mode: the event must survive a broker restart in a durable queue. */
  readonly durable: boolean;
  /** Unroutable is a failure (`unavailable`), not a silent drop: someone must take it. */
  readonly mandatory: boolean;
  readonly headers?: (event: T) => Record<string, string>;
}

function defineEvent<T>(definition: EventDefinition<T>): EventDefinition<T> {
  return definition;
}

/** Ephemeral events exist for live sockets only: unique ids, not persistent, nobody must take them. */
const ephemeral = { durable: false, mandatory: false } as const;

/**
 * Every event the apps exchange. docs/architecture.md shows this table with the queues that
 * take each event and their policies.
 */
export const EVENTS = {
  /** ws-edge → persister shards. Mandatory: with no shard bound, the client is told `unavailable`. */
  messageCreated: defineEvent<MessageCreatedEvent>({
    name: 'message.created',
    exchange: EXCHANGES.inbound,
    // A consistent-hash exchange hashes the header named in its `hash-header` argument; the key is unused.
    routingKey: () => '',
    schema: messageCreatedEvent,
    messageId: (event) => event.messageId,
    durable: true,
    mandatory: true,
    headers: (event) => ({ [HEADERS.conversationId]: event.conversationId }),
  }),
  /** ws-edge → persister shards, like a message: the conversation's writer judges and appends it. */
  commandRequested: defineEvent<CommandRequestedEvent>({
    name: 'command.requested',
    exchange: EXCHANGES.inbound,
    routingKey: () => '',
    schema: commandRequestedEvent,
    messageId: (event) => event.commandId,
    durable: true,
    mandatory: true,
    headers: (event) => ({ [HEADERS.conversationId]: event.conversationId }),
  }),
  /**
   * persister → the asking edge's own queue, through the default exchange (its routing key is
   * the queue's name). Not durable: the edge that waits for it is alive, or nobody waits.
   */
  commandAnswered: defineEvent<CommandAnsweredEvent>({
    name: 'command.answered',
    exchange: DEFAULT_EXCHANGE,
    routingKey: (event) => event.to,
    schema: commandAnsweredEvent,
    messageId: (event) => `answer-${event.commandId}`,
    ...ephemeral,
  }),
  /**
   * persister → chat.events (durable domain events) → every edge through chat.deliveries, and
   * the notifier: a written batch's entries, one event per batch. Its id is unique: a batch
   * announced again is another composition, and edges recognise entries by (conversation, seq).
   */
  logAppended: defineEvent<LogAppendedEvent>({
    name: 'log.appended',
    exchange: EXCHANGES.events,
    routingKey: (event) => event.type,
    schema: logAppendedEvent,
    messageId: () => randomUUID(),
    durable: true,
    mandatory: false,
  }),
  /**
   * persister → chat.events → the notifier alone (edges take `log.*` only): a written batch's
   * messages to recipients who were offline, one event per batch that has any.
   */
  notificationsDue: defineEvent<NotificationsDueEvent>({
    name: 'notifications.due',
    exchange: EXCHANGES.events,
    routingKey: (event) => event.type,
    schema: notificationsDueEvent,
    messageId: () => randomUUID(),
    durable: true,
    mandatory: false,
  }),
  /** ws-edge → every edge: a conversation's members changed; caches of it are stale. */
  membershipChanged: defineEvent<MembershipChangedEvent>({
    name: 'membership.changed',
    exchange: EXCHANGES.deliveries,
    routingKey: () => '',
    schema: membershipChangedEvent,
    messageId: () => randomUUID(),
    ...ephemeral,
  }),
  messageRead: defineEvent<MessageReadEvent>({
    name: 'message.read',
    exchange: EXCHANGES.deliveries,
    routingKey: () => '',
    schema: messageReadEvent,
    messageId: (event) => `read-${event.conversationId}-${event.userId}-${event.seq}`,
    ...ephemeral,
  }),
  /** ws-edge → every edge: members' delivered and read cursors moved; pushed to the other members. */
  receiptsChanged: defineEvent<ReceiptsChangedEvent>({
    name: 'receipts.changed',
    exchange: EXCHANGES.deliveries,
    routingKey: () => '',
    schema: receiptsChangedEvent,
    messageId: () => randomUUID(),
    ...ephemeral,
  }),
  typing: defineEvent<TypingEvent>({
    name: 'typing',
    exchange: EXCHANGES.deliveries,
    routingKey: () => '',
    schema: typingEvent,
    messageId: () => randomUUID(),
    ...ephemeral,
  }),
  /** presence worker → every edge. */
  presenceChanged: defineEvent<PresenceChangedEvent>({
    name: 'presence.changed',
    exchange: EXCHANGES.deliveries,
    routingKey: () => '',
    schema: presenceChangedEvent,
    messageId: () => randomUUID(),
    ...ephemeral,
  }),
  /** presence worker → one edge node (by node key; the others ignore it). */
  presenceResync: defineEvent<PresenceResyncEvent>({
    name: 'presence.resync',
    exchange: EXCHANGES.deliveries,
    routingKey: () => '',
    schema: presenceResyncEvent,
    messageId: () => randomUUID(),
    ...ephemeral,
  }),
  /** ws-edge → presence worker: connected, disconnected, heartbeat, snapshot (routing key = type). */
  presenceReport: defineEvent<PresenceEvent>({
    name: 'presence.report',
    exchange: EXCHANGES.presence,
    routingKey: (event) => event.type,
    schema: presenceEvent,
    messageId: () => randomUUID(),
    durable: true,
    mandatory: true,
  }),
} as const;
