import { entrySeq, LOG_ENTRY_TYPES, type LogEntry } from '@chat/contracts';
import type { Frame } from './chat-client.js';

/**
 * A client's copy of one conversation, built only from log entries (pushes or `log.get`), written
 * here independently of the server's folding code: what a test compares with `history.get`.
 */
export class LogReplica {
  readonly messages = new Map<string, Record<string, any>>();
  readonly reactions = new Map<string, Map<string, Set<string>>>();
  readonly members = new Set<string>();
  title: string | undefined;
  lastSeq = 0;

  constructor(readonly viewerId: string) {}

  /** Applies entries in seq order; an entry at or below `lastSeq` was applied already. */
  apply(entries: readonly Frame[]): void {
    for (const entry of entries) {
      const seq = seqOf(entry);
      if (seq <= this.lastSeq) continue;
      if (seq !== this.lastSeq + 1) throw new Error(`gap: ${this.lastSeq} then ${seq}`);
      this.lastSeq = seq;
      switch (entry.type) {
        case 'message.new':
          this.messages.set(entry.message.id, { ...entry.message });
          break;
        case 'message.edited': {
          const message = this.messages.get(entry.messageId);
          if (message) Object.assign(message, { body: entry.body, editedAt: entry.editedAt });
          break;
        }
        case 'message.deleted': {
          const message = this.messages.get(entry.messageId);
          if (message) {
            delete message.body;
            delete message.editedAt;
            message.deleted = true;
          }
          break;
        }
        case 'reaction.changed': {
          const byEmoji = this.reactions.get(entry.messageId) ?? new Map<string, Set<string>>();
          const users = byEmoji.get(entry.emoji) ?? new Set<string>();
          if (entry.added) users.add(entry.userId);
          else users.delete(entry.userId);
          if (users.size === 0) byEmoji.delete(entry.emoji);
          else byEmoji.set(entry.emoji, users);
          this.reactions.set(entry.messageId, byEmoji);
          break;
        }
        case 'member.changed':
          if (entry.change === 'added') this.members.add(entry.userId);
          else this.members.delete(entry.userId);
          break;
        case 'conversation.renamed':
          this.title = entry.title;
          break;
        default:
          throw new Error(`not a log entry: ${entry.type}`);
      }
    }
  }

  /** The messages as `history.get` shows them to the viewer, ascending. */
  current(): Array<Record<string, any>> {
    return [...this.messages.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((message) => ({
        ...message,
        reactions: [...(this.reactions.get(message.id) ?? new Map<string, Set<string>>())]
          .map(([emoji, users]) => ({ emoji, count: users.size, me: users.has(this.viewerId) }))
          .sort((a, b) => a.emoji.localeCompare(b.emoji)),
      }));
  }
}

/** `history.get` messages with their reactions in a fixed order, to compare with a replica. */
export function comparable(messages: Array<Record<string, any>>): Array<Record<string, any>> {
  return messages.map((message) => ({
    ...message,
    reactions: [...message.reactions].sort((a: { emoji: string }, b: { emoji: string }) =>
      a.emoji.localeCompare(b.emoji),
    ),
  }));
}

/** Log entry types (pushes that are entries); everything else a client receives is not. */
export const ENTRY_TYPES = LOG_ENTRY_TYPES;

export function seqOf(entry: Frame): number {
  return entrySeq(entry as LogEntry);
}

/** Every entry of a conversation from `afterSeq`, paging `log.get` until it runs out. */
export async function readLog(
  client: { request(type: string, fields: Record<string, unknown>): Promise<Frame> },
  conversationId: string,
  afterSeq = 0,
): Promise<Frame[]> {
  const entries: Frame[] = [];
  let from = afterSeq;
  for (;;) {
    const page = (await client.request('log.get', { conversationId, afterSeq: from })).entries as Frame[];
    entries.push(...page);
    if (page.length === 0) return entries;
    from = seqOf(page.at(-1) as Frame);
  }
}
