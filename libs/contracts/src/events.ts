import { z } from 'zod';
import { clientMsgId, groupTitle, MAX_GROUP_MEMBERS, MAX_MESSAGE_BODY_BYTES, messageBody, seq } from './chat.js';
import { ERROR_CODES } from './errors.js';
import { changeEntry, emoji } from './log-entries.js';
import { PREVIEW_MAX_CHARS } from './notification-preview.js';
import { id } from './primitives.js';

/**
 * Events on the broker. Every consumer validates what it takes off a queue with these schemas;
 * a message that fails is poison and is dead-lettered with the reason, never retried.
 */

const isoDate = z.iso.datetime({ offset: true });
const sizedBody = messageBody.refine((body) => Buffer.byteLength(body) <= MAX_MESSAGE_BODY_BYTES, 'body too large');

/**
 * chat.inbound: an edge accepted a message from a client. `members` are the conversation's
 * members as the edge's membership cache knew them: the persister announces to them without
 * a database lookup of its own.
 */
export const messageCreatedEvent = z.object({
  type: z.literal('message.created'),
  messageId: id,
  conversationId: id,
  senderId: id,
  clientMsgId,
  body: sizedBody,
  /** A message of the same conversation, checked by the edge. */
  replyTo: id.optional(),
  createdAt: isoDate,
  members: z.array(id).max(MAX_GROUP_MEMBERS),
});
export type MessageCreatedEvent = z.output<typeof messageCreatedEvent>;

/**
 * A change a member asked for, which only the conversation's writer can judge (the message may
 * have been deleted meanwhile, the reaction may exist already). `member.*` are groups only.
 */
export const logCommand = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message.edit'), messageId: id, body: sizedBody }),
  z.object({ kind: z.literal('message.delete'), messageId: id }),
  z.object({ kind: z.literal('reaction.add'), messageId: id, emoji }),
  z.object({ kind: z.literal('reaction.remove'), messageId: id, emoji }),
  z.object({ kind: z.literal('conversation.rename'), title: groupTitle }),
  z.object({ kind: z.literal('member.add'), userId: id }),
  z.object({ kind: z.literal('member.remove'), userId: id }),
  z.object({ kind: z.literal('member.leave') }),
]);
export type LogCommand = z.output<typeof logCommand>;

/**
 * chat.inbound: an edge asks the conversation's writer to append a change, hashed to the same
 * shard as the conversation's messages so the writer orders both. `commandId` becomes the entry's
 * id (a redelivery meets its own entry) and correlates the answer, which goes to `replyTo`: the
 * asking edge's own queue.
 */
export const commandRequestedEvent = z.object({
  type: z.literal('command.requested'),
  commandId: id,
  conversationId: id,
  actorId: id,
  /** A group's owner (who may delete any message); the edge read it with the membership. */
  ownerId: id.optional(),
  command: logCommand,
  requestedAt: isoDate,
  members: z.array(id).max(MAX_GROUP_MEMBERS),
  replyTo: z.string().min(1).max(255),
});
export type CommandRequestedEvent = z.output<typeof commandRequestedEvent>;

/** Everything a persister shard takes. */
export const inboundEvent = z.discriminatedUnion('type', [messageCreatedEvent, commandRequestedEvent]);
export type InboundEvent = z.output<typeof inboundEvent>;

/**
 * What the writer decided: the entry's seq (`null` when nothing needed writing and no entry
 * stands for the request, as a reaction already there), or the error the client gets.
 */
export const commandOutcome = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), seq: seq.min(1).nullable() }),
  z.object({ ok: z.literal(false), code: z.enum(ERROR_CODES), message: z.string().max(500) }),
]);
export type CommandOutcome = z.output<typeof commandOutcome>;

/** persister → the asking edge's queue (default exchange): the outcome of one command. */
export const commandAnsweredEvent = z.object({
  type: z.literal('command.answered'),
  commandId: id,
  /** The queue it is addressed to (the command's `replyTo`). */
  to: z.string().min(1).max(255),
  outcome: commandOutcome,
});
export type CommandAnsweredEvent = z.output<typeof commandAnsweredEvent>;

export const chatMessage = z.object({
  id,
  conversationId: id,
  seq: seq.min(1),
  senderId: id,
  body: z.string(),
  clientMsgId: z.string(),
  replyTo: id.optional(),
  createdAt: isoDate,
});

/** A log entry as it is pushed: a new message with its text, or a change. */
export const pushedEntry = z.union([z.object({ type: z.literal('message.new'), message: chatMessage }), changeEntry]);
export type PushedEntry = z.output<typeof pushedEntry>;

/** Consecutive entries of one conversation that go to the same people, in seq order. */
export const logSegment = z.object({
  conversationId: id,
  /** Who gets these pushes: the members at that point of the log (and one who just left or was removed). */
  members: z.array(id).max(MAX_GROUP_MEMBERS + 1),
  entries: z.array(pushedEntry).min(1),
});
export type LogSegment = z.output<typeof logSegment>;

/**
 * chat.events: entries are durable, a written batch's worth in one event (one trip through the
 * fanout per batch, not per message), grouped by conversation and recipients. Edges push each
 * entry to its members' connections; the notifier takes the new messages.
 */
export const logAppendedEvent = z.object({
  type: z.literal('log.appended'),
  segments: z.array(logSegment).min(1),
});
export type LogAppendedEvent = z.output<typeof logAppendedEvent>;

/**
 * chat.events → the notifier only: a written batch's new messages whose recipients were offline
 * when it was written, each with those recipients. The writer looks presence up once per batch,
 * so the notifier hears only of what it acts on: while everyone is online it hears nothing.
 *
 * Each message comes with its preview, and the batch with the epoch of the log rewrites it was
 * written in (libs/storage's `LogRewrites`): a window none of whose messages was edited or
 * deleted since is notified without reading the log. Both are absent from events of writers
 * before them; the notifier then reads the log.
 */
export const notificationsDueEvent = z.object({
  type: z.literal('notifications.due'),
  rewritesEpoch: z.number().int().min(1).optional(),
  messages: z
    .array(
      z.object({
        conversationId: id,
        messageId: id,
        /** Its place in the log: the notifier reads a window's messages as one range of it. */
        seq: seq.min(1),
        recipients: z.array(id).min(1).max(MAX_GROUP_MEMBERS),
        /** `previewOf` its text (UTF-16 units: two per character at most, the ellipsis included). */
        preview: z
          .string()
          .max(2 * PREVIEW_MAX_CHARS)
          .optional(),
      }),
    )
    .min(1),
});
export type NotificationsDueEvent = z.output<typeof notificationsDueEvent>;

/** chat.deliveries: who is in a conversation changed; caches of it are stale. */
export const membershipChangedEvent = z.object({
  type: z.literal('membership.changed'),
  conversationId: id,
  members: z.array(id),
});
export type MembershipChangedEvent = z.output<typeof membershipChangedEvent>;

/** chat.deliveries: a member's read cursor moved. `sessionId` is the connection that read (it needs no echo). */
export const messageReadEvent = z.object({
  type: z.literal('message.read'),
  conversationId: id,
  userId: id,
  seq,
  members: z.array(id),
  sessionId: z.string().optional(),
});
export type MessageReadEvent = z.output<typeof messageReadEvent>;

/** A member's cursors in one conversation: what their devices hold, and what they have read. */
export const receipt = z.object({ userId: id, deliveredSeq: seq, readSeq: seq });
export type Receipt = z.output<typeof receipt>;

/**
 * chat.deliveries: cursors of some members of a conversation moved. An edge gathers the moves of
 * a conversation for a moment and sends them together, so a busy group costs a few events a second.
 */
export const receiptsChangedEvent = z.object({
  type: z.literal('receipts.changed'),
  conversationId: id,
  receipts: z.array(receipt).min(1).max(MAX_GROUP_MEMBERS),
  members: z.array(id),
});
export type ReceiptsChangedEvent = z.output<typeof receiptsChangedEvent>;

/** chat.deliveries: someone is typing; ephemeral, never stored. */
export const typingEvent = z.object({
  type: z.literal('typing'),
  conversationId: id,
  userId: id,
  members: z.array(id),
});
export type TypingEvent = z.output<typeof typingEvent>;

/** chat.deliveries: a user went online or offline. Each edge pushes it to who shares a conversation with them. */
export const presenceChangedEvent = z.object({
  type: z.literal('presence.changed'),
  userId: id,
  status: z.enum(['online', 'offline']),
  lastSeen: isoDate.optional(),
  /** Grows with each transition of the user: a receiver drops one not above the last it saw. */
  version: z.number().int().positive(),
});
export type PresenceChangedEvent = z.output<typeof presenceChangedEvent>;

/** chat.deliveries: the presence worker asks one edge node (by node key) to re-announce its sessions. */
export const presenceResyncEvent = z.object({
  type: z.literal('presence.resync'),
  node: z.string(),
});
export type PresenceResyncEvent = z.output<typeof presenceResyncEvent>;

/**
 * chat.presence: what edges tell the presence worker. `node` is the edge's node key: its
 * NODE_ID plus an id of the running process, so a restarted node never inherits the sessions
 * of its previous life. `at` is ms since the epoch.
 */
const nodeKey = z.string().min(1).max(160);
const epochMs = z.number().int().nonnegative();
export const presenceEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('connected'),
    node: nodeKey,
    userId: id,
    sessionId: z.string().min(1).max(64),
    at: epochMs,
  }),
  z.object({
    type: z.literal('disconnected'),
    node: nodeKey,
    userId: id,
    sessionId: z.string().min(1).max(64),
    at: epochMs,
  }),
  z.object({ type: z.literal('heartbeat'), node: nodeKey, sessions: z.number().int().nonnegative(), at: epochMs }),
  z.object({
    type: z.literal('snapshot'),
    node: nodeKey,
    sessions: z.array(z.object({ userId: id, sessionId: z.string().min(1).max(64) })),
    at: epochMs,
  }),
]);
export type PresenceEvent = z.output<typeof presenceEvent>;

/** Everything that arrives on an edge's delivery queue. */
export const deliveryEvent = z.discriminatedUnion('type', [
  logAppendedEvent,
  commandAnsweredEvent,
  membershipChangedEvent,
  messageReadEvent,
  receiptsChangedEvent,
  typingEvent,
  presenceChangedEvent,
  presenceResyncEvent,
]);
export type DeliveryEvent = z.output<typeof deliveryEvent>;
