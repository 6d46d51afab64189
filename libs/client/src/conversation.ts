import {
  type ChatMessage,
  type ConversationKind,
  type CurrentMessage,
  FoldedMessage,
  type LogEntry,
  type SessionConversation,
} from '@chat/contracts';

export interface Receipt {
  deliveredSeq: number;
  readSeq: number;
}

/**
 * One conversation as this client holds it: the log applied in seq order, once, with the
 * messages folded (edits, deletes, reactions) by the same code the server folds with.
 */
export class ConversationState {
  readonly id: string;
  kind: ConversationKind = 'direct';
  title: string | undefined;
  ownerId: string | undefined;
  readonly members = new Set<string>();
  createdAt: string | undefined;
  /** The highest seq the server announced (session.ready, conversation.list or a push). */
  lastSeq = 0;
  /** The highest seq applied here: every entry up to it, and none after. */
  appliedSeq = 0;
  /** Messages after the user's read cursor that others sent. */
  unread = 0;
  /** The user's read cursor as far as this client knows. */
  readSeq = 0;
  /** Whether the user is still a member (false once they left or were removed). */
  member = true;
  /** Other members' cursors, from `receipt.changed` pushes and `receipts()`. */
  readonly receipts = new Map<string, Receipt>();
  readonly #messages = new Map<string, FoldedMessage>();
  readonly #ordered: FoldedMessage[] = [];
  /** Pushes ahead of a gap, by seq, until the gap is filled. */
  readonly buffered = new Map<number, LogEntry>();
  readonly #selfId: string;

  constructor(id: string, selfId: string) {
    this.id = id;
    this.#selfId = selfId;
  }

  /** Takes what a conversation listing says (session.ready, conversation.list, a created conversation). */
  updateFrom(conversation: Partial<SessionConversation> & { id: string }): void {
    if (conversation.kind) this.kind = conversation.kind;
    if (conversation.title !== undefined) this.title = conversation.title;
    if (conversation.ownerId !== undefined) this.ownerId = conversation.ownerId;
    if (conversation.createdAt !== undefined) this.createdAt = conversation.createdAt;
    if (conversation.members) {
      this.members.clear();
      for (const member of conversation.members) this.members.add(member);
      this.member = this.members.has(this.#selfId);
    }
    if (conversation.lastSeq !== undefined) this.lastSeq = Math.max(this.lastSeq, conversation.lastSeq);
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

  /** Applies the entry with seq `appliedSeq + 1`; the caller keeps the order. */
  apply(entry: LogEntry): void {
    const seq = entrySeq(entry);
    if (seq !== this.appliedSeq + 1) throw new Error(`entry ${seq} applied after ${this.appliedSeq}`);
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
        break;
      case 'conversation.renamed':
        this.title = entry.title;
        break;
    }
    this.appliedSeq = seq;
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  /** The user's read cursor moved (here or on another device): unread is what others sent after it. */
  markReadUpTo(seq: number): void {
    if (seq <= this.readSeq) return;
    this.readSeq = seq;
    this.unread = this.#ordered.filter((m) => m.message.seq > seq && m.message.senderId !== this.#selfId).length;
  }

  #add(message: ChatMessage): void {
    if (this.#messages.has(message.id)) return;
    const folded = new FoldedMessage(message);
    this.#messages.set(message.id, folded);
    this.#ordered.push(folded);
  }
}

export function entrySeq(entry: LogEntry): number {
  return entry.type === 'message.new' ? entry.message.seq : entry.seq;
}

export function entryConversation(entry: LogEntry): string {
  return entry.type === 'message.new' ? entry.message.conversationId : entry.conversationId;
}
