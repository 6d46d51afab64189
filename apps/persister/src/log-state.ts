import {
  type ChangeEntry,
  type CommandOutcome,
  type CommandRequestedEvent,
  FoldedMessage,
  type InboundEvent,
} from '@chat/contracts';
import {
  type ConversationRepository,
  type EntryDocument,
  type MessageDocument,
  type MessageRepository,
  toChangeEntry,
  toChatMessage,
} from '@chat/storage';
import type { RecentMessages } from './recent-messages.js';

/** What the writer decided for one command. */
export type Judgement =
  /** Append this entry; `erase` lists the documents whose text goes with it (a delete). */
  | { kind: 'entry'; entry: ChangeEntry; erase?: string[] }
  /** Nothing to write; `seq` is the entry that already stands for the request, if any. */
  | { kind: 'unchanged'; seq: number | null }
  | { kind: 'refused'; code: 'not_found' | 'forbidden' | 'bad_request'; message: string };

export function outcomeOf(judgement: Judgement): CommandOutcome {
  switch (judgement.kind) {
    case 'entry':
      return { ok: true, seq: judgement.entry.seq };
    case 'unchanged':
      return { ok: true, seq: judgement.seq };
    case 'refused':
      return { ok: false, code: judgement.code, message: judgement.message };
  }
}

interface MessageState {
  conversationId: string;
  senderId: string;
  folded: FoldedMessage;
  /** Edits of it, whose bodies a delete erases too. */
  editIds: string[];
}

export interface LogStateSources {
  messages: MessageRepository;
  conversations: ConversationRepository;
  /** The messages the writer holds with their entries: a target found here costs no read. */
  recent: RecentMessages;
  /**
   * Whether this event may have been handled before (redelivered, retried or replayed): only
   * such a command may have its entry stored already. A fresh one's id is not looked up.
   */
  seenBefore: (event: CommandRequestedEvent) => boolean;
}

/**
 * What the writer knows of the conversations of one batch while it judges its commands: the
 * messages they target folded with their entries, the members and titles of the conversations
 * whose membership or title they change, and the commands already written (redeliveries).
 * Targets come from the messages the writer holds (`RecentMessages`) or else from the log, with
 * a few queries per batch; then the state is moved forward by each message and entry planned in
 * the batch, in order, so a command sees what came before it.
 */
export class LogState {
  readonly #messages = new Map<string, MessageState>();
  readonly #members = new Map<string, Set<string>>();
  readonly #titles = new Map<string, { title: string | undefined; seq: number | null }>();
  /** Commands whose entry is stored already, by command id. */
  readonly stored = new Map<string, EntryDocument>();

  /** Nothing to load: a batch of messages only. */
  static empty(): LogState {
    return new LogState();
  }

  static async load(sources: LogStateSources, events: readonly InboundEvent[]): Promise<LogState> {
    const state = new LogState();
    const commands = events.filter((event) => event.type === 'command.requested');
    if (commands.length === 0) return state;
    const targets = new Set<string>();
    const withMembers = new Set<string>();
    const renamed = new Set<string>();
    for (const { command, conversationId } of commands) {
      if ('messageId' in command) targets.add(command.messageId);
      if (command.kind.startsWith('member.')) withMembers.add(conversationId);
      if (command.kind === 'conversation.rename') renamed.add(conversationId);
    }
    // Targets the writer holds cost nothing; the others, and the commands that may be stored
    // already, are read from the log (one lookup for both) and held from then on.
    const missing = [...targets].filter((id) => {
      const held = sources.recent.get(id);
      if (!held) return true;
      state.addMessage(held.doc);
      for (const [entryId, entry] of [...held.entries].sort(([, a], [, b]) => a.seq - b.seq))
        state.#apply(entry, entryId);
      return false;
    });
    const maybeStored = commands.filter((event) => sources.seenBefore(event)).map((event) => event.commandId);
    const [found, entries, members, conversations] = await Promise.all([
      maybeStored.length + missing.length > 0
        ? sources.messages.findByIds([...maybeStored, ...missing])
        : new Map<string, never>(),
      missing.length > 0 ? sources.messages.entriesAbout(missing) : [],
      withMembers.size > 0 ? sources.conversations.membersOf([...withMembers]) : new Map<string, string[]>(),
      renamed.size > 0 ? sources.conversations.findManyByIds([...renamed]) : [],
    ]);
    const changes = entries.map((doc): [string, ChangeEntry] => [doc._id, toChangeEntry(doc)]);
    const aboutMissing = new Map<string, Array<[string, ChangeEntry]>>();
    for (const [entryId, entry] of changes) {
      if (!('messageId' in entry)) continue;
      const about = aboutMissing.get(entry.messageId) ?? [];
      about.push([entryId, entry]);
      aboutMissing.set(entry.messageId, about);
    }
    for (const doc of found.values()) {
      if (doc.kind !== undefined) {
        state.stored.set(doc._id, doc);
        continue;
      }
      state.addMessage(doc);
      sources.recent.hold(doc, aboutMissing.get(doc._id));
    }
    for (const [entryId, entry] of changes) state.#apply(entry, entryId);
    for (const [conversationId, ids] of members) state.#members.set(conversationId, new Set(ids));
    for (const conversation of conversations)
      state.#titles.set(conversation._id, { title: conversation.title, seq: conversation.titleSeq ?? null });
    return state;
  }

  /** A message written (or planned) in this batch, or loaded: commands after it may target it. */
  addMessage(doc: MessageDocument): void {
    this.#messages.set(doc._id, {
      conversationId: doc.conversationId,
      senderId: doc.senderId,
      folded: new FoldedMessage(toChatMessage(doc)),
      editIds: [],
    });
  }

  /** The members of a conversation as this batch left them, if its membership was loaded. */
  membersOf(conversationId: string): ReadonlySet<string> | undefined {
    return this.#members.get(conversationId);
  }

  /**
   * Judges one command against the state so far. `nextSeq` hands out the conversation's next
   * seq and is called only when an entry is to be written; the entry then moves the state on.
   */
  judge(event: CommandRequestedEvent, entryId: string, nextSeq: () => number, at: Date): Judgement {
    const { command, conversationId, actorId } = event;
    const base = { conversationId, actorId };
    const write = (entry: ChangeEntry, erase?: string[]): Judgement => {
      this.#apply(entry, entryId);
      return erase ? { kind: 'entry', entry, erase } : { kind: 'entry', entry };
    };
    switch (command.kind) {
      case 'message.edit': {
        const target = this.#target(conversationId, command.messageId);
        if ('refused' in target) return target.refused;
        if (target.senderId !== actorId) return refuse('forbidden', 'only its sender can edit a message');
        if (target.folded.deleted) return refuse('not_found', 'the message was deleted');
        if (target.folded.body === command.body) return { kind: 'unchanged', seq: target.folded.bodySeq };
        return write({
          type: 'message.edited',
          ...base,
          seq: nextSeq(),
          messageId: command.messageId,
          body: command.body,
          editedAt: at.toISOString(),
        });
      }
      case 'message.delete': {
        const target = this.#target(conversationId, command.messageId);
        if ('refused' in target) return target.refused;
        if (target.senderId !== actorId && event.ownerId !== actorId)
          return refuse('forbidden', "only its sender or the group's owner can delete a message");
        if (target.folded.deletedSeq !== undefined) return { kind: 'unchanged', seq: target.folded.deletedSeq };
        const erase = [command.messageId, ...target.editIds];
        return write({ type: 'message.deleted', ...base, seq: nextSeq(), messageId: command.messageId }, erase);
      }
      case 'reaction.add':
      case 'reaction.remove': {
        const target = this.#target(conversationId, command.messageId);
        if ('refused' in target) return target.refused;
        if (target.folded.deleted) return refuse('not_found', 'the message was deleted');
        const added = command.kind === 'reaction.add';
        if (target.folded.hasReaction(actorId, command.emoji) === added) return { kind: 'unchanged', seq: null };
        return write({
          type: 'reaction.changed',
          ...base,
          seq: nextSeq(),
          messageId: command.messageId,
          userId: actorId,
          emoji: command.emoji,
          added,
        });
      }
      case 'conversation.rename': {
        const current = this.#titles.get(conversationId);
        if (current?.title === command.title) return { kind: 'unchanged', seq: current.seq };
        return write({ type: 'conversation.renamed', ...base, seq: nextSeq(), title: command.title });
      }
      case 'member.add':
      case 'member.remove':
      case 'member.leave': {
        const members = this.#members.get(conversationId) ?? new Set<string>();
        const userId = command.kind === 'member.leave' ? actorId : command.userId;
        const joining = command.kind === 'member.add';
        // Adding a member or removing a non-member again writes nothing: the request stands.
        if (members.has(userId) === joining) return { kind: 'unchanged', seq: null };
        const change = joining ? 'added' : command.kind === 'member.leave' ? 'left' : 'removed';
        return write({ type: 'member.changed', ...base, seq: nextSeq(), userId, change });
      }
    }
  }

  #target(conversationId: string, messageId: string): MessageState | { refused: Judgement } {
    const target = this.#messages.get(messageId);
    if (!target || target.conversationId !== conversationId)
      return { refused: refuse('not_found', 'no such message in this conversation') };
    return target;
  }

  /** Moves the state past one entry (stored, or planned in this batch). */
  #apply(entry: ChangeEntry, entryId: string): void {
    switch (entry.type) {
      case 'message.edited':
      case 'message.deleted':
      case 'reaction.changed': {
        const target = this.#messages.get(entry.messageId);
        if (!target) return;
        if (entry.type === 'message.edited') target.editIds.push(entryId);
        target.folded.apply(entry);
        return;
      }
      case 'member.changed': {
        const members = this.#members.get(entry.conversationId);
        if (!members) return;
        if (entry.change === 'added') members.add(entry.userId);
        else members.delete(entry.userId);
        return;
      }
      case 'conversation.renamed':
        this.#titles.set(entry.conversationId, { title: entry.title, seq: entry.seq });
        return;
    }
  }
}

function refuse(code: 'not_found' | 'forbidden' | 'bad_request', message: string): Judgement {
  return { kind: 'refused', code, message };
}

/** The id every inbound event is known by: its message's, or its command's (the entry's). */
export function inboundIdOf(event: InboundEvent): string {
  return event.type === 'message.created' ? event.messageId : event.commandId;
}
