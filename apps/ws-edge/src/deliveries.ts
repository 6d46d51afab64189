import { type BrokerConnection, declareEdgeQueue, EventWorker, type EventWorkerCounters } from '@chat/broker';
import {
  type CommandAnsweredEvent,
  type DeliveryEvent,
  deliveryEvent,
  entrySeq,
  type LogSegment,
  type MessageReadFrame,
  type PresenceChangedFrame,
  type ReceiptChangedFrame,
  type SessionResyncFrame,
  type TypingFrame,
} from '@chat/contracts';
import type { Logger } from '@chat/logger';
import { LRUCache } from 'lru-cache';
import type { ContactIndex } from './contact-index.js';
import type { EdgeMetrics } from './edge-metrics.js';
import type { LocalSessions } from './local-sessions.js';
import type { MembershipCache } from './membership-cache.js';
import type { Session } from './session.js';

/**
 * Entries pushed recently, by (conversation, seq), to recognise a re-announcement. A persister
 * re-announces a batch when it crashed between its fanout publish and its ack, or when the batch
 * went round the retry ladder; that can come minutes later and after higher seqs, so "seq ≤ last
 * pushed" is no test of a repeat. What this window forgets is pushed again, and clients drop it
 * by seq.
 */
export const PUSHED_MESSAGE_WINDOW = 100_000;
/** Users whose last presence version this node remembers. */
const PRESENCE_VERSIONS_TRACKED = 100_000;

export interface DeliveryRouterDependencies {
  sessions: LocalSessions;
  cache: MembershipCache;
  contacts: ContactIndex;
  /** This node's presence key, and how to re-announce its sessions when the worker asks. */
  presenceNode: string;
  resyncPresence: () => void;
  /** A writer answered a command this node asked for. */
  answered: (answer: CommandAnsweredEvent) => void;
  metrics: EdgeMetrics;
}

/**
 * Pushes what the fanout brings to this node's sessions. Each event is serialized once per node
 * and written to every local connection it concerns. A message announced again (same id) is
 * pushed once.
 */
export class DeliveryRouter {
  readonly #deps: DeliveryRouterDependencies;
  readonly #pushed = new LRUCache<string, true>({ max: PUSHED_MESSAGE_WINDOW });
  readonly #presenceVersions = new LRUCache<string, number>({ max: PRESENCE_VERSIONS_TRACKED });

  constructor(deps: DeliveryRouterDependencies) {
    this.#deps = deps;
  }

  /**
   * The node's deliveries queue was declared again (its broker connection was lost, and the
   * exclusive queue with it), so anything fanned out meanwhile never reached this node: the
   * membership cache forgets what it may have missed, and every session is told to resume from
   * the log (`session.resync`), as if it had reconnected.
   */
  interrupted(): void {
    this.#deps.cache.invalidateAll();
    const frame: SessionResyncFrame = { type: 'session.resync', reason: 'deliveries_interrupted' };
    const text = JSON.stringify(frame);
    let told = 0;
    for (const session of this.#deps.sessions.all()) {
      session.push(text, frame.type);
      told += 1;
    }
    this.#deps.metrics.resyncs.inc(told);
  }

  route(event: DeliveryEvent): void {
    switch (event.type) {
      case 'log.appended':
        for (const segment of event.segments) this.#pushSegment(segment);
        return;
      case 'command.answered':
        this.#deps.answered(event);
        return;
      case 'membership.changed':
        this.#membersChanged(event.conversationId, event.members);
        return;
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
      case 'receipts.changed': {
        // Each member's own cursors are theirs to know already; the others hear of them.
        for (const receipt of event.receipts) {
          const frame: ReceiptChangedFrame = {
            type: 'receipt.changed',
            conversationId: event.conversationId,
            userId: receipt.userId,
            deliveredSeq: receipt.deliveredSeq,
            readSeq: receipt.readSeq,
          };
          this.#pushToMembers(
            event.members.filter((member) => member !== receipt.userId),
            JSON.stringify(frame),
            frame.type,
          );
        }
        return;
      }
      case 'presence.changed': {
        // Two workers after a handover, or a drain that outlived its lock, can publish a
        // transition late or twice: an offline older than an online already pushed is stale.
        if (event.version <= (this.#presenceVersions.get(event.userId) ?? 0)) return;
        this.#presenceVersions.set(event.userId, event.version);
        const watchers = this.#deps.contacts.watchersOf(event.userId);
        if (!watchers) return;
        const frame: PresenceChangedFrame = {
          type: 'presence.changed',
          userId: event.userId,
          status: event.status,
          version: event.version,
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

  /** A conversation's members are now `members`: its cached membership is stale, and who watches whose presence may change. */
  #membersChanged(conversationId: string, members: readonly string[]): void {
    this.#deps.cache.invalidate(conversationId);
    const sessionsOfMembers = members.flatMap((userId) => [...(this.#deps.sessions.of(userId) ?? [])]);
    this.#deps.contacts.updateConversation(conversationId, members, sessionsOfMembers);
  }

  /** Pushes a segment's entries to the local sessions of its members, each entry once. */
  #pushSegment(segment: LogSegment): void {
    const { conversationId, members } = segment;
    for (const entry of segment.entries) {
      const key = `${conversationId}:${entrySeq(entry)}`;
      if (this.#pushed.has(key)) continue;
      this.#pushed.set(key, true);
      if (entry.type === 'member.changed') {
        // The segment's recipients include who just left or was removed; the members do not.
        this.#membersChanged(
          conversationId,
          entry.change === 'added' ? members : members.filter((userId) => userId !== entry.userId),
        );
      } else if (entry.type === 'conversation.renamed') {
        this.#deps.cache.invalidate(conversationId);
      }
      // Serialized only when a member has a socket here: every edge gets every batch, and most
      // of a batch concerns the other edges' sockets.
      const pushed = this.#pushToMembers(members, () => JSON.stringify(entry), entry.type);
      if (entry.type === 'message.new' && pushed > 0) {
        this.#deps.metrics.messagesDelivered.inc(pushed);
        this.#deps.metrics.deliveryLatency.observe(
          Math.max(0, Date.now() - Date.parse(entry.message.createdAt)) / 1000,
        );
      }
    }
  }

  /**
   * Writes the frame to every local session of these users that `include` accepts; returns how
   * many. `frame` is its text, or what makes it, called once at the first session that gets it.
   */
  #pushToMembers(
    userIds: readonly string[],
    frame: string | (() => string),
    type: string,
    include: (session: Session) => boolean = () => true,
  ): number {
    let text = typeof frame === 'string' ? frame : undefined;
    let pushed = 0;
    for (const userId of userIds) {
      const sessions = this.#deps.sessions.of(userId);
      if (!sessions) continue;
      for (const session of sessions) {
        if (!include(session)) continue;
        text ??= (frame as () => string)();
        session.push(text, type);
        pushed += 1;
      }
    }
    return pushed;
  }
}

/**
 * Consumes this node's `edge.<nodeId>` queue (declared, exclusive, on every (re)connect). Pushes
 * are for live sockets only: an event that fails its schema is counted and dropped (there is
 * nobody to replay it to), and routing never fails, so nothing is retried.
 */
export function deliveryWorker(
  connection: BrokerConnection,
  logger: Logger,
  options: { nodeId: string; prefetch: number; counters: EventWorkerCounters },
  router: DeliveryRouter,
): EventWorker<DeliveryEvent> {
  let attachments = 0;
  return new EventWorker(connection, logger, {
    name: `edge.${options.nodeId}`,
    queue: (channel) => declareEdgeQueue(channel, options.nodeId),
    prefetch: options.prefetch,
    schema: deliveryEvent,
    handle: async (event) => router.route(event),
    // The first attach is the start; any later one follows a lost channel or connection.
    onAttached: () => {
      if (attachments++ > 0) router.interrupted();
    },
    // Routing is synchronous, so events are pushed in queue order.
    ordering: { kind: 'concurrent', limit: options.prefetch },
    retry: { kind: 'requeue', delayMs: 1_000 },
    poison: { kind: 'drop' },
    counters: options.counters,
  });
}
