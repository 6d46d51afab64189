import type { ChatMessage } from './chat.js';
import type { ChangeEntry } from './log-entries.js';

/** One emoji's reactions on a message, as the asker sees them. */
export interface Reaction {
  emoji: string;
  count: number;
  /** Whether the asker is one of them. */
  me: boolean;
}

/** A message in its current state: what `history.get` returns. */
export interface CurrentMessage extends ChatMessage {
  /** When the body last changed. */
  editedAt?: string;
  /** Deleted: `body` is gone. */
  deleted?: true;
  reactions: Reaction[];
}

/**
 * A message folded with the entries of the log that changed it, applied in seq order. The server
 * folds stored entries this way for `history.get` and to judge a change; a client folds the
 * pushes and `log.get` entries it applies with the same code, so both arrive at the same state.
 */
export class FoldedMessage {
  readonly message: ChatMessage;
  /** The seq of the entry that set the current body: the message's own until an edit. */
  bodySeq: number;
  body: string | undefined;
  editedAt: string | undefined;
  /** The seq of the delete, once deleted. */
  deletedSeq: number | undefined;
  /** Emoji → who reacted with it, in the order the emoji first appeared. */
  readonly reactions = new Map<string, Set<string>>();

  constructor(message: ChatMessage) {
    this.message = message;
    this.bodySeq = message.seq;
    this.body = message.body;
  }

  get deleted(): boolean {
    return this.deletedSeq !== undefined;
  }

  hasReaction(userId: string, emoji: string): boolean {
    return this.reactions.get(emoji)?.has(userId) ?? false;
  }

  /** Applies one entry about this message; entries about anything else are ignored. */
  apply(entry: ChangeEntry): void {
    switch (entry.type) {
      case 'message.edited':
        if (entry.messageId !== this.message.id || this.deleted) return;
        this.body = entry.body;
        this.bodySeq = entry.seq;
        this.editedAt = entry.editedAt;
        return;
      case 'message.deleted':
        if (entry.messageId !== this.message.id || this.deleted) return;
        this.deletedSeq = entry.seq;
        this.body = undefined;
        return;
      case 'reaction.changed': {
        if (entry.messageId !== this.message.id) return;
        const users = this.reactions.get(entry.emoji) ?? new Set<string>();
        if (entry.added) users.add(entry.userId);
        else users.delete(entry.userId);
        if (users.size > 0) this.reactions.set(entry.emoji, users);
        else this.reactions.delete(entry.emoji);
        return;
      }
      default:
        return;
    }
  }

  /** The message as `askerId` sees it now. */
  current(askerId: string): CurrentMessage {
    const { body: _stored, ...rest } = this.message;
    return {
      ...rest,
      ...(this.deleted ? { deleted: true as const } : this.body === undefined ? {} : { body: this.body }),
      ...(this.editedAt === undefined || this.deleted ? {} : { editedAt: this.editedAt }),
      reactions: [...this.reactions].map(([emoji, users]) => ({ emoji, count: users.size, me: users.has(askerId) })),
    };
  }
}
