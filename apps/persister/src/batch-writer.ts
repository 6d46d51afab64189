import { EVENTS, type EventPublisher } from '@chat/broker';
import type { MessageCreatedEvent, MessagePersistedEvent } from '@chat/contracts';
import { type MessageDocument, type MessageRepository, toChatMessage } from '@chat/storage';
import type { PersisterMetrics } from './persister-metrics.js';
import type { SeqAllocator } from './seq-allocator.js';

/** Where a batch's new log heads go before it is announced (Redis, `LogHeads`). */
export interface LogHeadWriter {
  raise(heads: ReadonlyMap<string, number>): Promise<void>;
}

export interface WrittenBatch {
  /** Stored (now, or before: a redelivery or a resend), in the order they were written. */
  persisted: MessageDocument[];
  /** Not written this time; each with the error to retry on. */
  failed: Map<string, string>;
  /** Newly inserted (excludes duplicates of earlier writes). */
  inserted: number;
  /** Resolves when the log head of every conversation of the batch is raised. */
  lastSeqWritten: Promise<void>;
  events: ReadonlyMap<string, MessageCreatedEvent>;
}

export interface BatchWriterDependencies {
  messages: MessageRepository;
  seqs: SeqAllocator;
  publisher: EventPublisher;
  lastSeqs: LogHeadWriter;
  metrics: PersisterMetrics;
}

/** Seq conflicts (a stale counter) tolerated in one batch before its rest goes to the retry ladder. */
const MAX_SEQ_CONFLICTS = 3;

/**
 * Writes a batch in two steps. `write`: each message gets its conversation's next seq in arrival
 * order, the batch is inserted in one ordered insertMany, and its new log heads are raised in
 * Redis with one command (no write per conversation in the database). `announce`: once those
 * heads are raised, every message of the batch goes out
 * on chat.deliveries, to the members the edge sent along. Writes run one batch at a time;
 * announces may trail them, in the same order.
 *
 * Ordered on purpose: an ordered insert writes a prefix of the batch and stops, so a failure
 * never leaves a hole in a conversation's seqs. A duplicate key where it stops is a message
 * stored before (a redelivery or a resend: same id): it is announced as stored, its seq is
 * handed to the next message, and the insert goes on from there. So the common batch costs one
 * insert and no lookup at all.
 */
export class BatchWriter {
  readonly #deps: BatchWriterDependencies;

  constructor(deps: BatchWriterDependencies) {
    this.#deps = deps;
  }

  /** Writes the batch; what could not be written is in `failed` (to retry), never thrown. */
  async write(events: readonly MessageCreatedEvent[]): Promise<WrittenBatch> {
    const { seqs, messages } = this.#deps;
    const byId = new Map<string, MessageCreatedEvent>();
    for (const event of events) if (!byId.has(event.messageId)) byId.set(event.messageId, event);
    const persisted: MessageDocument[] = [];
    const failed = new Map<string, string>();
    let inserted = 0;
    let conflicts = 0;
    let pending = [...byId.values()];

    while (pending.length > 0) {
      try {
        await this.#timed('seq', () => seqs.prepare(pending.map((event) => event.conversationId)));
      } catch (error) {
        for (const event of pending) failed.set(event.messageId, describe(error));
        break;
      }
      const documents = pending.map((event) => toDocument(event, seqs.allocate(event.conversationId)));
      const result = await this.#timed('insert', () => messages.insertOrdered(documents));
      const { written } = result;
      persisted.push(...documents.slice(0, written));
      inserted += written;
      if (!result.stopped) break;
      const rest = documents.slice(written);
      rewind(seqs, rest);
      const stuck = rest[0];
      if (!stuck || !result.stopped.duplicateKey) {
        // The database failed: what was not written goes to the retry ladder.
        seqs.forget(rest.map((doc) => doc.conversationId));
        for (const doc of rest) failed.set(doc._id, describe(result.stopped.error));
        break;
      }
      let stored: MessageDocument | null;
      try {
        stored = await messages.findById(stuck._id);
      } catch (error) {
        // The database failed while telling a duplicate from a seq conflict: like any database
        // failure, what is not written goes to the retry ladder (never a rejected batch).
        seqs.forget(rest.map((doc) => doc.conversationId));
        for (const doc of rest) failed.set(doc._id, describe(error));
        break;
      }
      if (stored) {
        persisted.push(stored);
        pending = rest
          .slice(1)
          .map((doc) => byId.get(doc._id))
          .filter((event) => event !== undefined);
      } else {
        // The seq is taken by another message: this counter was stale (another persister wrote
        // this conversation meanwhile). Reload it from the database and go on.
        seqs.forget([stuck.conversationId]);
        conflicts += 1;
        if (conflicts > MAX_SEQ_CONFLICTS) {
          for (const doc of rest) failed.set(doc._id, 'seq already taken repeatedly; will retry');
          break;
        }
        pending = rest.map((doc) => byId.get(doc._id)).filter((event) => event !== undefined);
      }
    }

    const lastSeqs = new Map<string, number>();
    for (const doc of persisted)
      lastSeqs.set(doc.conversationId, Math.max(lastSeqs.get(doc.conversationId) ?? 0, doc.seq));
    const lastSeqWritten =
      persisted.length > 0 ? this.#timed('last_seq', () => this.#deps.lastSeqs.raise(lastSeqs)) : Promise.resolve();
    // Observed by `announce`; until then a failure must not count as unhandled.
    lastSeqWritten.catch(() => undefined);
    return { persisted, failed, inserted, lastSeqWritten, events: byId };
  }

  /** Runs one phase of a batch and records its time. */
  #timed<T>(phase: 'seq' | 'insert' | 'last_seq' | 'announce', work: () => Promise<T>): Promise<T> {
    const stop = this.#deps.metrics.phase.startTimer({ phase });
    return work().finally(() => stop());
  }

  /**
   * Log heads first, then the fanout: a client told of seq N finds lastSeq ≥ N on reconnect.
   * Throws when either fails; then the whole batch is to be retried (it is stored already).
   */
  async announce(batch: WrittenBatch): Promise<void> {
    const { persisted, events } = batch;
    if (persisted.length === 0) return;
    await batch.lastSeqWritten;
    // The latest member list the edges sent for each conversation. Every stored document has an
    // event here: a message id names its conversation (messageIdOf), so even a resend's stored
    // document belongs to the conversation its event was sent to.
    const members = new Map<string, readonly string[]>();
    for (const doc of persisted) {
      const event = events.get(doc._id);
      if (event) members.set(doc.conversationId, event.members);
    }
    // Each conversation's messages go out in seq order (across conversations, order is free).
    const ordered = [...persisted].sort((a, b) => a.conversationId.localeCompare(b.conversationId) || a.seq - b.seq);
    await this.#timed('announce', () =>
      Promise.all(
        ordered.map((doc) => {
          const event: MessagePersistedEvent = {
            type: 'message.persisted',
            message: toChatMessage(doc),
            members: [...(members.get(doc.conversationId) ?? [])],
          };
          return this.#deps.publisher.publish(EVENTS.messagePersisted, event);
        }),
      ),
    );
  }
}

function toDocument(event: MessageCreatedEvent, seq: number): MessageDocument {
  return {
    _id: event.messageId,
    conversationId: event.conversationId,
    seq,
    senderId: event.senderId,
    clientMsgId: event.clientMsgId,
    body: event.body,
    ...(event.replyTo === undefined ? {} : { replyTo: event.replyTo }),
    createdAt: new Date(event.createdAt),
  };
}

/** Hands the seqs of unwritten documents out again, from the lowest of each conversation. */
function rewind(seqs: SeqAllocator, unwritten: readonly MessageDocument[]): void {
  const lowest = new Map<string, number>();
  for (const doc of unwritten)
    lowest.set(doc.conversationId, Math.min(lowest.get(doc.conversationId) ?? doc.seq, doc.seq));
  for (const [conversationId, seq] of lowest) seqs.rewind(conversationId, seq);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
