import { EVENTS, type EventPublisher } from '@chat/broker';
import {
  type ChangeEntry,
  type CommandOutcome,
  type CommandRequestedEvent,
  entryConversation,
  entrySeq,
  type InboundEvent,
  type LogSegment,
  type MessageCreatedEvent,
  type NotificationsDueEvent,
  type PushedEntry,
} from '@chat/contracts';
import type { Logger } from '@chat/logger';
import {
  type ConversationRepository,
  type EntryDocument,
  type LogDocument,
  type MessageDocument,
  type MessageRepository,
  type NotificationRepository,
  toChangeEntry,
  toChatMessage,
  toEntryDocument,
} from '@chat/storage';
import { LRUCache } from 'lru-cache';
import { inboundIdOf, type Judgement, LogState, outcomeOf } from './log-state.js';
import { dueNotifications, type OnlineUsers, recipientsOf } from './offline-recipients.js';
import type { PersisterMetrics } from './persister-metrics.js';
import { RecentMessages } from './recent-messages.js';
import type { SeqAllocator } from './seq-allocator.js';

/** Where a batch's new log heads go before it is announced (Redis, `LogHeads`). */
export interface LogHeadWriter {
  raise(heads: ReadonlyMap<string, number>): Promise<void>;
}

/**
 * Where a batch's edits and deletes are recorded before it is announced (Redis, `LogRewrites`),
 * answering the epoch they went into.
 */
export interface LogRewriteWriter {
  raise(rewrites: ReadonlyMap<string, number>): Promise<number>;
}

/** A change entry of the batch, durable with its effects, to push. */
export interface WrittenEntry {
  entryId: string;
  entry: ChangeEntry;
}

/** One entry to push, with who gets it. */
export interface Push {
  entry: PushedEntry;
  members: readonly string[];
}

/** A command of the batch whose outcome is final, to answer to the edge that asked. */
export interface Answer {
  event: CommandRequestedEvent;
  outcome: CommandOutcome;
}

export interface WrittenBatch {
  /** Messages stored (now, or before: a redelivery or a resend), in the order they were written. */
  persisted: MessageDocument[];
  /** Change entries stored (now or before) whose effects are applied, in the order they were written. */
  entries: WrittenEntry[];
  /** Every command of the batch with a final outcome (written, unchanged or refused). */
  answers: Answer[];
  /** What `announce` pushes: every message and entry above that has something to show. */
  pushes: Push[];
  /** Not written this time; each with the error to retry on. */
  failed: Map<string, string>;
  /** Newly inserted (excludes duplicates of earlier writes). */
  inserted: number;
  /** Resolves when the log head of every conversation of the batch is raised, and its rewrites recorded. */
  lastSeqWritten: Promise<void>;
  /** Resolves when the text of the batch's deleted messages is erased (the batch is acked after). */
  erased: Promise<void>;
  /** The new messages whose recipients were offline, with them: what the notifier is told (none: undefined). */
  notificationsDue: Promise<NotificationsDueEvent | undefined>;
  events: ReadonlyMap<string, InboundEvent>;
}

export interface BatchWriterDependencies {
  messages: MessageRepository;
  conversations: ConversationRepository;
  notifications: NotificationRepository;
  seqs: SeqAllocator;
  publisher: EventPublisher;
  lastSeqs: LogHeadWriter;
  rewrites: LogRewriteWriter;
  /** Who is online: the batch's offline recipients are due a notification. */
  presence: OnlineUsers;
  metrics: PersisterMetrics;
  logger?: Logger;
}

/**
 * Seq conflicts (a stale counter) tolerated per conversation in one batch before the rest of the
 * batch goes to the retry ladder. One is normal for each conversation of a shard taken over from
 * a writer that died between its insert and raising its heads; more mean another writer keeps
 * taking the seqs. Counted per batch, a takeover of a few such conversations sent the rest of
 * the batch round the ladder, and its pushes arrived after later ones.
 */
const MAX_SEQ_CONFLICTS_PER_CONVERSATION = 3;
/** Conversations whose members this writer changed and so knows exactly. */
const MAX_KNOWN_MEMBER_LISTS = 10_000;

/** One event of a batch as planned: the document it appends, or the outcome that needs none. */
interface Planned {
  event: InboundEvent;
  doc?: LogDocument;
  /** A command's judgement (absent for messages and for commands stored before). */
  judgement?: Judgement;
  /** A command whose entry is stored already (a redelivery). */
  stored?: EntryDocument;
  /** A membership entry: the members after it. */
  membersAfter?: string[];
}

/**
 * Appends a batch of the log's entries of any kind in two steps. `write`: each message gets its
 * conversation's next seq in arrival order; each command is judged against the conversation's
 * state as the entries before it left it, and gets a seq if it writes an entry; the batch is
 * inserted in one ordered insertMany; the few commands with effects beyond their entry (a
 * delete erases text, a rename sets the title, membership changes) apply them; and the batch's
 * new log heads are raised in Redis with one command (no write per conversation in the
 * database). `announce`: once those heads are raised, every message and entry of the batch goes
 * out on chat.events in seq order, and each command's outcome to the edge that asked. Writes run
 * one batch at a time; announces may trail them, in the same order.
 *
 * Ordered on purpose: an ordered insert writes a prefix of the batch and stops, so a failure
 * never leaves a hole in a conversation's seqs. A duplicate key where it stops is a document
 * stored before (a redelivery or a resend: same id): it is announced as stored, its seq is
 * handed to the next one, and the rest of the batch is planned again from there. So the common
 * batch of messages costs one insert and no lookup at all, and one with commands a few reads.
 */
export class BatchWriter {
  readonly #deps: BatchWriterDependencies;
  /** Members after the changes this writer made: pushes go to them, whatever an edge's cache said. */
  readonly #members = new LRUCache<string, readonly string[]>({ max: MAX_KNOWN_MEMBER_LISTS });
  /** Messages written or read lately, with their entries: what commands about them are judged against. */
  readonly #recent = new RecentMessages();

  constructor(deps: BatchWriterDependencies) {
    this.#deps = deps;
  }

  /**
   * Another persister may have appended meanwhile (this process (re)gained a shard): the members
   * and messages this writer knew are read again.
   */
  forgetLogs(): void {
    this.#members.clear();
    this.#recent.clear();
  }

  /**
   * Writes the batch; what could not be written is in `failed` (to retry), never thrown.
   * `seenBefore` holds the ids of the events that may have been handled before (redelivered,
   * retried, replayed); without it every command is looked up as possibly stored.
   */
  async write(events: readonly InboundEvent[], seenBefore?: ReadonlySet<string>): Promise<WrittenBatch> {
    const { seqs, messages } = this.#deps;
    const byId = new Map<string, InboundEvent>();
    for (const event of events) if (!byId.has(inboundIdOf(event))) byId.set(inboundIdOf(event), event);
    const final: Planned[] = [];
    const failed = new Map<string, string>();
    let inserted = 0;
    const conflicts = new Map<string, number>();
    let pending = [...byId.values()];
    const failAll = (rest: readonly InboundEvent[], error: unknown) => {
      for (const event of rest) failed.set(inboundIdOf(event), describe(error));
    };

    while (pending.length > 0) {
      let plan: Planned[];
      try {
        plan = await this.#plan(pending, seenBefore);
      } catch (error) {
        failAll(pending, error);
        break;
      }
      const documents = plan.flatMap((item) => (item.doc ? [item.doc] : []));
      const result =
        documents.length > 0 ? await this.#timed('insert', () => messages.insertOrdered(documents)) : { written: 0 };
      inserted += result.written;
      // Everything planned before the first unwritten document stands; the rest is planned again.
      const stuckAt = result.stopped ? plan.findIndex((item) => item.doc === documents[result.written]) : plan.length;
      final.push(...plan.slice(0, stuckAt));
      if (!result.stopped) break;
      const rest = plan.slice(stuckAt);
      rewind(
        seqs,
        rest.flatMap((item) => (item.doc ? [item.doc] : [])),
      );
      const stuck = rest[0];
      const restEvents = rest.map((item) => item.event);
      if (!stuck?.doc || !result.stopped.duplicateKey) {
        // The database failed: what was not written goes to the retry ladder.
        seqs.forget(restEvents.map((event) => event.conversationId));
        failAll(restEvents, result.stopped.error);
        break;
      }
      let stored: LogDocument | null;
      try {
        stored = await messages.findById(stuck.doc._id);
      } catch (error) {
        // The database failed while telling a duplicate from a seq conflict: like any database
        // failure, what is not written goes to the retry ladder (never a rejected batch).
        seqs.forget(restEvents.map((event) => event.conversationId));
        failAll(restEvents, error);
        break;
      }
      if (stored) {
        final.push(stored.kind === undefined ? { event: stuck.event, doc: stored } : { event: stuck.event, stored });
        pending = restEvents.slice(1);
      } else {
        // The seq is taken by another document: this counter was stale (another persister wrote
        // this conversation meanwhile). Reload it from the database and go on.
        const conversationId = stuck.doc.conversationId;
        seqs.conflicted(conversationId);
        conflicts.set(conversationId, (conflicts.get(conversationId) ?? 0) + 1);
        if ((conflicts.get(conversationId) ?? 0) > MAX_SEQ_CONFLICTS_PER_CONVERSATION) {
          for (const event of restEvents) failed.set(inboundIdOf(event), 'seq already taken repeatedly; will retry');
          break;
        }
        pending = restEvents;
      }
    }

    const persisted: MessageDocument[] = [];
    const entries: WrittenEntry[] = [];
    const answers: Answer[] = [];
    const pushes: Push[] = [];
    const { erased } = await this.#applyEffects(final, failed);
    // Who hears of each entry: the members at that point of the log. This writer knows them
    // exactly once it changed them; before that, the latest list an edge sent is the best known.
    const current = new Map<string, readonly string[]>();
    const membersAt = (event: InboundEvent) =>
      current.get(event.conversationId) ?? this.#members.get(event.conversationId) ?? event.members;
    for (const item of final) {
      const { event } = item;
      if (failed.has(inboundIdOf(event))) {
        // Its entry may be in the log with its effects still to apply: the message is read
        // again from the log next time, not judged by what this writer holds.
        if (event.type === 'command.requested' && 'messageId' in event.command)
          this.#recent.forget(event.command.messageId);
        continue;
      }
      if (event.type === 'message.created') {
        if (item.doc?.kind !== undefined || !item.doc) continue;
        persisted.push(item.doc);
        // A resend of a message deleted since has nothing left to show: it is acked, not pushed.
        const message = toChatMessage(item.doc);
        if (message.body !== undefined)
          pushes.push({
            entry: { type: 'message.new', message: { ...message, body: message.body } },
            members: membersAt(event),
          });
        continue;
      }
      const entryDoc = item.stored ?? (item.doc?.kind !== undefined ? item.doc : undefined);
      if (entryDoc) {
        const entry = toChangeEntry(entryDoc);
        entries.push({ entryId: entryDoc._id, entry });
        let members = membersAt(event);
        if (item.membersAfter) {
          current.set(event.conversationId, item.membersAfter);
          this.#members.set(event.conversationId, item.membersAfter);
          members = item.membersAfter;
        }
        // Who left or was removed hears of it: their last push from this conversation.
        if (entry.type === 'member.changed' && !members.includes(entry.userId)) members = [...members, entry.userId];
        pushes.push({ entry, members });
      }
      const outcome: CommandOutcome = entryDoc
        ? { ok: true, seq: entryDoc.seq }
        : outcomeOf(item.judgement ?? { kind: 'unchanged', seq: null });
      answers.push({ event, outcome });
    }

    // What is in the log now is what later commands about these messages are judged against.
    for (const doc of persisted) if (!this.#recent.get(doc._id)) this.#recent.hold(doc);
    for (const { entryId, entry } of entries) this.#recent.append(entryId, entry);

    const lastSeqs = new Map<string, number>();
    const rewrites = new Map<string, number>();
    for (const { conversationId, seq } of [...persisted, ...entries.map((written) => written.entry)])
      lastSeqs.set(conversationId, Math.max(lastSeqs.get(conversationId) ?? 0, seq));
    for (const { entry } of entries)
      if (entry.type === 'message.edited' || entry.type === 'message.deleted')
        rewrites.set(entry.conversationId, Math.max(rewrites.get(entry.conversationId) ?? 0, entry.seq));
    const recipients = recipientsOf(pushes);
    // Heads and rewrites in one phase: two commands on one connection, sent together.
    const rewritesRaised = rewrites.size > 0 ? this.#deps.rewrites.raise(rewrites) : undefined;
    const lastSeqWritten =
      lastSeqs.size > 0
        ? this.#timed('last_seq', () => Promise.all([this.#deps.lastSeqs.raise(lastSeqs), rewritesRaised])).then(
            () => undefined,
          )
        : Promise.resolve();
    // Who of the recipients is offline, asked while the heads are raised (one Redis round trip
    // each). Only a batch with someone to notify asks for the rewrites' epoch when it has no
    // rewrites of its own: while everyone is online that costs no command.
    const notificationsDue: Promise<NotificationsDueEvent | undefined> =
      recipients.length > 0
        ? this.#timed('presence', () => this.#deps.presence.withSessions(recipients)).then(async (online) => {
            const messages = dueNotifications(pushes, online);
            if (messages.length === 0) return undefined;
            const rewritesEpoch = await (rewritesRaised ?? this.#deps.rewrites.raise(rewrites));
            return { type: 'notifications.due', rewritesEpoch, messages };
          })
        : Promise.resolve(undefined);
    // Observed by `announce`; until then a failure must not count as unhandled.
    lastSeqWritten.catch(() => undefined);
    notificationsDue.catch(() => undefined);
    erased.catch(() => undefined);
    return {
      persisted,
      entries,
      answers,
      pushes,
      failed,
      inserted,
      lastSeqWritten,
      erased,
      notificationsDue,
      events: byId,
    };
  }

  /** Seqs and judgements for the events, in order, against the state of their conversations. */
  async #plan(events: readonly InboundEvent[], seenBefore: ReadonlySet<string> | undefined): Promise<Planned[]> {
    const { seqs, messages, conversations } = this.#deps;
    await this.#timed('seq', () => seqs.prepare(events.map((event) => event.conversationId)));
    const hasCommands = events.some((event) => event.type === 'command.requested');
    const sources = {
      messages,
      conversations,
      recent: this.#recent,
      seenBefore: (event: CommandRequestedEvent) => seenBefore?.has(event.commandId) ?? true,
    };
    const state = hasCommands ? await this.#timed('state', () => LogState.load(sources, events)) : LogState.empty();
    const now = new Date();
    return events.map((event): Planned => {
      if (event.type === 'message.created') {
        const doc = toDocument(event, seqs.allocate(event.conversationId));
        state.addMessage(doc);
        return { event, doc };
      }
      const stored = state.stored.get(event.commandId);
      if (stored) return { event, stored };
      const judgement = state.judge(event, event.commandId, () => seqs.allocate(event.conversationId), now);
      if (judgement.kind !== 'entry') return { event, judgement };
      const planned: Planned = { event, judgement, doc: toEntryDocument(event.commandId, judgement.entry) };
      const members = judgement.entry.type === 'member.changed' ? state.membersOf(event.conversationId) : undefined;
      return members ? { ...planned, membersAfter: [...members] } : planned;
    });
  }

  /**
   * What some entries change beyond the log: a delete erases the text of the message, of its
   * edits and of notification previews; a rename sets the title; membership entries add or
   * remove the membership. Re-applied for a command stored before (its effects may not have
   * run), guarded so a late one never undoes a newer change. A failure sends the command round
   * the retry ladder; its entry is stored, so the next pass applies only the effects.
   *
   * Renames and membership changes are applied before this returns: later commands are judged
   * against them. Erasing text is not (nothing judges by it: the log says the message is
   * deleted), so it runs while the next batch is written, and the returned promise, which
   * `announce` awaits before the batch is acked, rejects if it failed (the whole batch is then
   * retried, and the stored delete is erased again). On FerretDB each erasure is a few update
   * statements, each a commit: in the write path they held up the batches behind a delete.
   */
  async #applyEffects(items: readonly Planned[], failed: Map<string, string>): Promise<{ erased: Promise<void> }> {
    const { messages, conversations, notifications } = this.#deps;
    const work = items.flatMap((item) => {
      const entryDoc = item.stored ?? (item.doc?.kind !== undefined ? item.doc : undefined);
      if (!entryDoc || item.event.type !== 'command.requested') return [];
      const entry = toChangeEntry(entryDoc);
      const replayed = item.stored !== undefined;
      const erase = item.judgement?.kind === 'entry' ? item.judgement.erase : undefined;
      return [{ id: entryDoc._id, entry, replayed, erase }];
    });
    const erasures: Array<Promise<void>> = [];
    for (const { id, entry, replayed, erase } of work) {
      try {
        switch (entry.type) {
          case 'message.deleted':
            erasures.push(
              (async () => {
                const ids = erase ?? [
                  entry.messageId,
                  ...(await messages.entriesAbout([entry.messageId]))
                    .filter((doc) => doc.kind === 'message.edited')
                    .map((doc) => doc._id),
                ];
                await messages.eraseBodies(ids);
                await notifications.erasePreviewsOf(entry.messageId);
              })(),
            );
            break;
          case 'conversation.renamed':
            await conversations.rename(entry.conversationId, entry.title, entry.seq);
            break;
          case 'member.changed': {
            if (replayed) {
              const latest = await messages.lastMemberEntry(entry.conversationId, entry.userId);
              if (latest && latest._id !== id) break;
            }
            if (entry.change === 'added')
              await conversations.addMembers(entry.conversationId, [entry.userId], new Date());
            else await conversations.removeMember(entry.conversationId, entry.userId);
            break;
          }
          default:
            break;
        }
      } catch (error) {
        this.#deps.logger?.warn({ err: error, entryId: id, type: entry.type }, 'entry effect failed; will retry');
        failed.set(id, describe(error));
      }
    }
    const erased = (erasures.length > 0 ? this.#timed('erase', () => Promise.all(erasures)) : Promise.resolve()).then(
      () => undefined,
      (error: unknown) => {
        this.#deps.logger?.warn({ err: error }, 'erasing deleted text failed; the batch will be retried');
        throw error;
      },
    );
    return { erased };
  }

  /** Runs one phase of a batch and records its time. */
  #timed<T>(
    phase: 'seq' | 'state' | 'insert' | 'last_seq' | 'presence' | 'announce' | 'erase',
    work: () => Promise<T>,
  ): Promise<T> {
    const stop = this.#deps.metrics.phase.startTimer({ phase });
    return work().finally(() => stop());
  }

  /**
   * Log heads first, then the fanout: a client told of seq N finds lastSeq ≥ N on reconnect.
   * The pushes wait for nothing else; the notifier's `notifications.due` goes once the batch's
   * presence read answers. Resolves once both are confirmed. Batches are announced one at a time,
   * in the order they were written, so each conversation's pushes go out in seq order. Throws
   * when either fails; then the whole batch is to be retried (it is stored already; a
   * notification announced twice is one pending message, collapsed by the notifier).
   */
  async announce(batch: WrittenBatch): Promise<void> {
    const { pushes } = batch;
    const { publisher } = this.#deps;
    await batch.lastSeqWritten;
    const pushed =
      pushes.length > 0
        ? this.#timed('announce', () =>
            publisher.publish(EVENTS.logAppended, { type: 'log.appended', segments: segmentsOf(pushes) }),
          )
        : undefined;
    const notified = batch.notificationsDue.then((event) =>
      event ? publisher.publish(EVENTS.notificationsDue, event) : undefined,
    );
    await Promise.all([pushed, notified]);
  }

  /**
   * What an announced batch still needs before it is acked, and the next batch's announce does
   * not wait for: its deleted text erased, then each command's outcome answered to the edge that
   * asked. Throws when the erasure failed (the whole batch is then retried, and the stored
   * delete is erased again). Answers may be lost (the edge then answers `unavailable`, and a
   * repeat is safe).
   *
   * Why apart: a delete's erasure is a few updates, each a commit on FerretDB. While it was part
   * of the announce, every later batch's pushes waited for it, and with deletes in the load
   * that was most batches (docs/benchmarks.md, optimisation log).
   */
  async conclude(batch: WrittenBatch): Promise<void> {
    await batch.erased;
    await Promise.all(
      batch.answers.map(({ event, outcome }) =>
        this.#deps.publisher
          .publish(EVENTS.commandAnswered, {
            type: 'command.answered',
            commandId: event.commandId,
            to: event.replyTo,
            outcome,
          })
          .catch((error: unknown) =>
            this.#deps.logger?.warn({ err: error, commandId: event.commandId }, 'command answer not sent'),
          ),
      ),
    );
  }
}

/**
 * A batch's pushes as segments: each conversation's entries in seq order (across conversations
 * order is free), cut where the recipients change (a membership entry).
 */
export function segmentsOf(pushes: readonly Push[]): LogSegment[] {
  const ordered = [...pushes].sort(
    (a, b) =>
      entryConversation(a.entry).localeCompare(entryConversation(b.entry)) || entrySeq(a.entry) - entrySeq(b.entry),
  );
  const segments: LogSegment[] = [];
  let last: { segment: LogSegment; key: string } | undefined;
  for (const push of ordered) {
    const conversationId = entryConversation(push.entry);
    const key = `${conversationId}|${push.members.join(',')}`;
    if (last?.key === key) {
      last.segment.entries.push(push.entry);
      continue;
    }
    const segment: LogSegment = { conversationId, members: [...push.members], entries: [push.entry] };
    segments.push(segment);
    last = { segment, key };
  }
  return segments;
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
function rewind(seqs: SeqAllocator, unwritten: readonly LogDocument[]): void {
  const lowest = new Map<string, number>();
  for (const doc of unwritten)
    lowest.set(doc.conversationId, Math.min(lowest.get(doc.conversationId) ?? doc.seq, doc.seq));
  for (const [conversationId, seq] of lowest) seqs.rewind(conversationId, seq);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
