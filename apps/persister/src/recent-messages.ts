import type { ChangeEntry } from '@chat/contracts';
import type { MessageDocument } from '@chat/storage';
import { LRUCache } from 'lru-cache';

/** Messages whose log this writer keeps in memory (about 1 KB each with a few entries). */
export const MAX_RECENT_MESSAGES = 50_000;

/** A message as the log holds it: its document and every entry about it, by entry id. */
export interface MessageLog {
  doc: MessageDocument;
  entries: ReadonlyMap<string, ChangeEntry>;
}

/**
 * The messages this writer wrote or read lately, each with every entry about it: what a command
 * about one of them (an edit, a reaction, a delete) is judged against, without reading the log.
 *
 * It holds only what is in the log. The writer is the only one appending to its conversations'
 * logs, so while it holds their shard nothing else adds an entry about these messages; it
 * records a message or an entry once its insert succeeded, and forgets everything when it
 * (re)gains a shard, since another writer may have appended meanwhile. A message it does not
 * hold is read from the log, and then held. A deleted message's text is not kept.
 *
 * Why: each command used to cost the writer a lookup of its target and of the entries about it,
 * in the batch's critical path; on FerretDB each is a query of its own, and a batch with one
 * command waited for them (docs/benchmarks.md, optimisation log).
 */
export class RecentMessages {
  readonly #logs = new LRUCache<string, { doc: MessageDocument; entries: Map<string, ChangeEntry> }>({
    max: MAX_RECENT_MESSAGES,
  });

  get(messageId: string): MessageLog | undefined {
    return this.#logs.get(messageId);
  }

  /** A message written, or read from the log with `entries`: every entry about it there. */
  hold(doc: MessageDocument, entries: Iterable<[string, ChangeEntry]> = []): void {
    const held = { doc, entries: new Map<string, ChangeEntry>() };
    for (const [id, entry] of entries) held.entries.set(id, entry);
    this.#logs.set(doc._id, held);
    if ([...held.entries.values()].some((entry) => entry.type === 'message.deleted')) forgetText(held);
  }

  /** An entry written about a held message (one about a message not held is left to the log). */
  append(entryId: string, entry: ChangeEntry): void {
    if (!('messageId' in entry)) return;
    const held = this.#logs.get(entry.messageId);
    if (!held) return;
    held.entries.set(entryId, entry);
    if (entry.type === 'message.deleted') forgetText(held);
  }

  /** What is held of this message may differ from the log: read it again when needed. */
  forget(messageId: string): void {
    this.#logs.delete(messageId);
  }

  /** Another writer may have appended to these logs: hold nothing. */
  clear(): void {
    this.#logs.clear();
  }
}

/** A deleted message's text, and its edits', erased here as in the database. */
function forgetText(held: { doc: MessageDocument; entries: Map<string, ChangeEntry> }): void {
  const { body: _erased, ...rest } = held.doc;
  held.doc = rest;
  for (const [id, entry] of held.entries) {
    if (entry.type !== 'message.edited') continue;
    const { body: _editText, ...withoutText } = entry;
    held.entries.set(id, withoutText);
  }
}
