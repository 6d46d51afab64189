import type { ChatMessage, ConversationKind, CurrentMessage, LogEntry, SessionConversation } from '@chat/contracts';
import { entrySeq, FoldedMessage } from '@chat/contracts/browser';
import { LogSequencer } from './log-sequencer.js';

/** Another member's cursors: what their devices hold and what they read. */
export interface Receipt {
  deliveredSeq: number;
  readSeq: number;
}

/**
 * One conversation as this client holds it: the log applied in seq order, once (the sequencer
 * sees to that), with the messages folded by the code the server folds `history.get` with, so
 * both arrive at the same state.
 */
export class ConversationState {
  readonly id: string;
  kind: ConversationKind = 'direct';
  title: string | undefined;
  ownerId: string | undefined;
  readonly members = new Set<string>();
  createdAt: string | undefined;
  /** Messages after the user's read cursor that others sent. */
  unread = 0;
  /** The user's read cursor as far as this client knows. */
  readSeq = 0;
  /** Whether the user is still a member (false once they left or were removed). */
  member = true;
  /** Other members' cursors, from `receipt.changed` pushes and `receipts()`. */
  readonly receipts = new Map<string, Receipt>();
  readonly sequencer = new LogSequencer();
  readonly #messages = new Map<string, FoldedMessage>();
  readonly #ordered: FoldedMessage[] = [];
  /** Messages up to this seq are counted in `unread` (by a listing or one by one). */
  #unreadCountedTo = 0;
  readonly #selfId: string;

  constructor(id: string, selfId: string) {
    this.id = id;
    this.#selfId = selfId;
  }

  /** The highest seq applied here: every entry up to it, and none after. */
  get appliedSeq(): number {
    return this.sequencer.appliedSeq;
  }

  /** The highest seq the server announced (a listing, a push, an ack). */
  get lastSeq(): number {
    return this.sequencer.knownSeq;
  }

  /** Takes what a listing says (session.ready, conversation.list, a created conversation). */
  updateFrom(listing: Partial<SessionConversation> & { id: string }): void {
    if (listing.kind) this.kind = listing.kind;
    if (listing.title !== undefined) this.title = listing.title;
    if (listing.ownerId !== undefined) this.ownerId = listing.ownerId;
    if (listing.createdAt !== undefined) this.createdAt = listing.createdAt;
    if (listing.members) {
      this.members.clear();
      for (const member of listing.members) this.members.add(member);
      this.member = this.members.has(this.#selfId);
    }
    if (listing.lastSeq !== undefined) this.sequencer.announce(listing.lastSeq);
    if (listing.unread !== undefined && listing.lastSeq !== undefined) {
      // The server counted up to its lastSeq; what this client applied beyond it counts on top.
      // A count past lastSeq (an edge reads the head, then counts while messages are still being
      // stored) would be counted twice: no more than the seqs after the read cursor count.
      const lastSeq = listing.lastSeq;
      const beyond = this.#ordered.filter((m) => m.message.seq > lastSeq && this.#countsAsUnread(m.message));
      this.unread = Math.min(listing.unread, Math.max(0, lastSeq - this.readSeq)) + beyond.length;
      this.#unreadCountedTo = Math.max(listing.lastSeq, this.appliedSeq);
    }
  }

  /** The folded messages in seq order. */
  folded(): readonly FoldedMessage[] {
    return this.#ordered;
  }

  /** The messages as `history.get` returns them to this user: ascending seq, current state. */
  messages(): CurrentMessage[] {
    return this.#ordered.map((message) => message.current(this.#selfId));
  }

  message(messageId: string): FoldedMessage | undefined {
    return this.#messages.get(messageId);
  }

  /** Applies an entry the sequencer released (so the next in seq order). */
  apply(entry: LogEntry): void {
    switch (entry.type) {
      case 'message.new':
        this.#add(entry.message);
        break;
      case 'message.edited':
      case 'message.deleted':
      case 'reaction.changed':
        this.#messages.get(entry.messageId)?.apply(entry);
        break;
      case 'member.changed':
        if (entry.change === 'added') this.members.add(entry.userId);
        else this.members.delete(entry.userId);
        if (entry.userId === this.#selfId) this.member = entry.change === 'added';
        // The server sends a member who went nothing after this entry.
        if (!this.member) this.sequencer.settle();
        break;
      case 'conversation.renamed':
        this.title = entry.title;
        break;
    }
    if (entry.type === 'message.new' && entrySeq(entry) > this.#unreadCountedTo) {
      this.#unreadCountedTo = entrySeq(entry);
      if (this.#countsAsUnread(entry.message)) this.unread += 1;
    }
  }

  /** The user's read cursor moved (here or on another device): unread is what others sent after it. */
  markReadUpTo(seq: number): void {
    if (seq <= this.readSeq) return;
    this.readSeq = seq;
    this.unread = this.#ordered.filter((m) => this.#countsAsUnread(m.message)).length;
  }

  #countsAsUnread(message: ChatMessage): boolean {
    return message.senderId !== this.#selfId && message.seq > this.readSeq;
  }

  #add(message: ChatMessage): void {
    if (this.#messages.has(message.id)) return;
    const folded = new FoldedMessage(message);
    this.#messages.set(message.id, folded);
    this.#ordered.push(folded);
  }
}
