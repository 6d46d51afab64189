import { type BrokerConnection, type Delivery, declareEdgeQueue, QueueConsumer } from '@chat/broker';
import {
  type DeliveryEvent,
  deliveryEvent,
  type MessageNewFrame,
  type MessageReadFrame,
  type PresenceChangedFrame,
  type TypingFrame,
} from '@chat/contracts';
import type { Logger } from '@chat/logger';
import { LRUCache } from 'lru-cache';
import type { ContactIndex } from './contact-index.js';
import type { EdgeMetrics } from './edge-metrics.js';
import type { LocalSessions } from './local-sessions.js';
import type { MembershipCache } from './membership-cache.js';
import type { Session } from './session.js';

const TRACKED_CONVERSATIONS = 100_000;

export interface DeliveryRouterDependencies {
  sessions: LocalSessions;
  cache: MembershipCache;
  contacts: ContactIndex;
  /** This node's presence key, and how to re-announce its sessions when the worker asks. */
  presenceNode: string;
  resyncPresence: () => void;
  metrics: EdgeMetrics;
}

/**
 * Pushes what the fanout brings to this node's sessions. Each event is serialized once per node
 * and written to every local connection it concerns. A persister that crashed after its fanout
 * publish announces again on redelivery; those repeats (seq not above the last pushed one of
 * that conversation) are dropped here.
 */
export class DeliveryRouter {
  readonly #deps: DeliveryRouterDependencies;
  readonly #lastPushedSeq = new LRUCache<string, number>({ max: TRACKED_CONVERSATIONS });

  constructor(deps: DeliveryRouterDependencies) {
    this.#deps = deps;
  }

  route(event: DeliveryEvent): void {
    switch (event.type) {
      case 'message.persisted': {
        const { message, members } = event;
        if (message.seq <= (this.#lastPushedSeq.get(message.conversationId) ?? 0)) return;
        this.#lastPushedSeq.set(message.conversationId, message.seq);
        const frame: MessageNewFrame = { type: 'message.new', message };
        const pushed = this.#pushToMembers(members, JSON.stringify(frame), frame.type);
        this.#deps.metrics.messagesDelivered.inc(pushed);
        this.#deps.metrics.deliveryLatency.observe(Math.max(0, Date.now() - Date.parse(message.createdAt)) / 1000);
        return;
      }
      case 'membership.changed': {
        this.#deps.cache.invalidate(event.conversationId);
        const sessionsOfMembers = event.members.flatMap((userId) => [...(this.#deps.sessions.of(userId) ?? [])]);
        this.#deps.contacts.updateConversation(event.conversationId, event.members, sessionsOfMembers);
        return;
      }
      case 'typing': {
        const frame: TypingFrame = { type: 'typing', conversationId: event.conversationId, userId: event.userId };
        this.#pushToMembers(
          event.members,
          JSON.stringify(frame),
          frame.type,
          (session) => session.userId !== event.userId,
        );
        return;
      }
      case 'message.read': {
        const frame: MessageReadFrame = {
          type: 'message.read',
          conversationId: event.conversationId,
          userId: event.userId,
          seq: event.seq,
        };
        this.#pushToMembers(
          event.members,
          JSON.stringify(frame),
          frame.type,
          (session) => session.id !== event.sessionId,
        );
        return;
      }
      case 'presence.changed': {
        const watchers = this.#deps.contacts.watchersOf(event.userId);
        if (!watchers) return;
        const frame: PresenceChangedFrame = {
          type: 'presence.changed',
          userId: event.userId,
          status: event.status,
          ...(event.lastSeen === undefined ? {} : { lastSeen: event.lastSeen }),
        };
        const text = JSON.stringify(frame);
        for (const session of watchers) session.push(text, frame.type);
        return;
      }
      case 'presence.resync':
        if (event.node === this.#deps.presenceNode) this.#deps.resyncPresence();
        return;
    }
  }

  /** Writes `text` to every local session of these users that `include` accepts; returns how many. */
  #pushToMembers(
    userIds: readonly string[],
    text: string,
    type: string,
    include: (session: Session) => boolean = () => true,
  ): number {
    let pushed = 0;
    for (const userId of userIds) {
      const sessions = this.#deps.sessions.of(userId);
      if (!sessions) continue;
      for (const session of sessions) {
        if (!include(session)) continue;
        session.push(text, type);
        pushed += 1;
      }
    }
    return pushed;
  }
}

/** Consumes this node's `edge.<nodeId>` queue (declared, exclusive, on every (re)connect). */
export function deliveryConsumer(
  connection: BrokerConnection,
  logger: Logger,
  options: { nodeId: string; prefetch: number },
  router: DeliveryRouter,
): QueueConsumer {
  const log = logger.child({ component: 'deliveries' });
  return new QueueConsumer(
    connection,
    logger,
    {
      name: `edge.${options.nodeId}`,
      queue: (channel) => declareEdgeQueue(channel, options.nodeId),
      prefetch: options.prefetch,
    },
    (delivery: Delivery) => {
      try {
        const parsed = deliveryEvent.safeParse(JSON.parse(delivery.message.content.toString('utf8')));
        if (parsed.success) router.route(parsed.data);
        else log.warn({ issue: parsed.error.issues[0]?.message }, 'dropping an invalid delivery event');
      } catch (error) {
        log.warn({ err: error }, 'dropping an unreadable delivery event');
      }
      delivery.ack();
    },
  );
}
