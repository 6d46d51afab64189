import { previewOf } from '@chat/contracts';
import type { LogDocument, MessageDocument, MessageRepository, RewriteHead } from '@chat/storage';
import type { PendingMessage } from './pending-messages.js';

/**
 * A window's messages are read as one range of the log when it spans at most this many entries;
 * past it (a busy group), by id. On FerretDB each id is a query of its own (libs/storage's
 * `ServerDialect.findIn`), which made notifications the drain's largest database cost.
 */
export const MAX_RANGE_READ_ENTRIES = 500;

/** What a window's notification tells of: its unread messages in seq order, and the latest one's preview. */
export interface UnreadMessages {
  ids: string[];
  /** Absent when nothing is unread. */
  latestPreview?: string;
}

/**
 * A window's unread messages from its claimed pending set alone, where the set is the truth:
 * every unread message came with a preview written in the log rewrites' current epoch, and the
 * conversation's last edit or delete comes before the first of them, so none of them changed
 * since it was announced. Undefined when the log must be read: on FerretDB a range read of the
 * log fetches the whole conversation (docs/benchmarks.md), so this is the common path.
 */
export function unreadFromPending(
  claimed: readonly PendingMessage[],
  readSeq: number,
  rewrites: RewriteHead | undefined,
): UnreadMessages | undefined {
  const unread = claimed
    .filter((message) => message.seq === undefined || message.seq > readSeq)
    .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  const first = unread[0];
  if (first === undefined) return { ids: [] };
  if (rewrites === undefined || first.seq === undefined || rewrites.seq >= first.seq) return undefined;
  const announced = unread.every(({ seq, preview }) => seq !== undefined && preview?.epoch === rewrites.epoch);
  if (!announced) return undefined;
  return { ids: unread.map((message) => message.id), latestPreview: unread.at(-1)?.preview?.text };
}

/**
 * A window's unread messages as the log holds them now, folded with the entries about them: the
 * preview is the latest text (an edit is an entry of its own), and a message deleted since it
 * was sent is not told of.
 */
export async function unreadFromLog(
  messages: MessageRepository,
  conversationId: string,
  claimed: readonly PendingMessage[],
  readSeq: number,
): Promise<UnreadMessages> {
  const documents = (await readClaimed(messages, conversationId, claimed, readSeq))
    .filter((doc): doc is MessageDocument => doc.kind === undefined)
    .filter((message) => message.seq > readSeq)
    .sort((a, b) => a.seq - b.seq);
  const unread = (await messages.folded(documents)).filter((message) => message.body !== undefined);
  const latest = unread.at(-1)?.body;
  return {
    ids: unread.map((message) => message.message.id),
    ...(latest === undefined ? {} : { latestPreview: previewOf(latest) }),
  };
}

/**
 * The stored documents of the claimed messages not read yet: those with seqs as one range read
 * of the log (the entries between them included, then dropped), the rest by id.
 */
async function readClaimed(
  messages: MessageRepository,
  conversationId: string,
  claimed: readonly PendingMessage[],
  readSeq: number,
): Promise<LogDocument[]> {
  const unreadIds = new Set<string>();
  const byIdOnly: string[] = [];
  let lowest = Number.POSITIVE_INFINITY;
  let highest = 0;
  for (const { id, seq } of claimed) {
    if (seq === undefined) byIdOnly.push(id);
    else if (seq > readSeq) {
      unreadIds.add(id);
      lowest = Math.min(lowest, seq);
      highest = Math.max(highest, seq);
    }
  }
  const afterSeq = lowest - 1;
  const inRange =
    unreadIds.size === 0
      ? []
      : highest - afterSeq <= MAX_RANGE_READ_ENTRIES
        ? (await messages.entries(conversationId, afterSeq, highest - afterSeq, highest)).filter((doc) =>
            unreadIds.has(doc._id),
          )
        : [...(await messages.findByIds([...unreadIds])).values()];
  const legacy = byIdOnly.length > 0 ? [...(await messages.findByIds(byIdOnly)).values()] : [];
  return [...inRange, ...legacy];
}
