import { type ConfirmPublisher, EXCHANGES, HEADERS, QUEUES } from '@chat/broker';
import type { Channel, ConsumeMessage } from 'amqplib';
import { type DeadLetterSummary, replayHeaders, summarize } from './dead-letter.js';

export interface ReplayOptions {
  dryRun: boolean;
  limit: number;
  /** Case-insensitive substring of the death reason; others are left where they are. */
  reason?: string | undefined;
  /** Ends the scan when no message arrives for this long (the queue had fewer than counted). */
  idleMs?: number;
}

export interface ReplayReport {
  scanned: number;
  moved: number;
  skipped: number;
  failed: number;
  items: Array<DeadLetterSummary & { outcome: 'moved' | 'would move' | 'skipped' | 'failed'; error?: string }>;
}

/**
 * Moves dead messages from `persister.dead` back into `chat.inbound`. Each is republished with
 * publisher confirms and acked only after its copy is confirmed, so none is lost; one that
 * fails stays in the dead-letter queue. Skipped and dry-run messages are never acked: they go
 * back to the queue when the consumer is cancelled or the channel closes. Reads with a consumer (basic.get is refused on
 * some quorum queues), stopping after the messages that were there at the start.
 */
export async function replayDeadLetters(
  channel: Channel,
  publisher: ConfirmPublisher,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const report: ReplayReport = { scanned: 0, moved: 0, skipped: 0, failed: 0, items: [] };
  const { messageCount } = await channel.checkQueue(QUEUES.dead);
  const toScan = Math.min(messageCount, options.dryRun || options.reason ? messageCount : options.limit);
  if (toScan === 0) return report;
  const needle = options.reason?.toLowerCase();
  let selected = 0;
  await channel.prefetch(Math.min(toScan, 500));

  await new Promise<void>((resolve, reject) => {
    let idleTimer: NodeJS.Timeout | undefined;
    let consumerTag: string | undefined;
    let finished = false;
    const work: Promise<void>[] = [];
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(idleTimer);
      // Cancel only after every ack went out: cancelling a quorum-queue consumer returns the
      // messages it still holds, and an ack sent after that no longer counts.
      Promise.all(work)
        .then(() => (consumerTag ? channel.cancel(consumerTag) : undefined))
        .then(() => resolve(), reject);
    };
    const armIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(finish, options.idleMs ?? 2_000);
    };
    const handle = async (message: ConsumeMessage) => {
      const summary = summarize(message);
      const matches = needle === undefined || summary.reason.toLowerCase().includes(needle);
      if (!matches || selected >= options.limit) {
        report.skipped += 1;
        report.items.push({ ...summary, outcome: 'skipped' });
        return;
      }
      selected += 1;
      if (options.dryRun) {
        report.items.push({ ...summary, outcome: 'would move' });
        return;
      }
      try {
        await publisher.publish(EXCHANGES.inbound, '', message.content, {
          messageId: message.properties.messageId ?? summary.messageId,
          contentType: message.properties.contentType,
          type: message.properties.type,
          timestamp: message.properties.timestamp,
          mandatory: true,
          headers: { ...replayHeaders(message), [HEADERS.conversationId]: summary.conversationId },
        });
        channel.ack(message);
        report.moved += 1;
        report.items.push({ ...summary, outcome: 'moved' });
      } catch (error) {
        report.failed += 1;
        report.items.push({ ...summary, outcome: 'failed', error: (error as Error).message });
      }
    };
    armIdle();
    channel
      .consume(
        QUEUES.dead,
        (message) => {
          if (!message || finished) return;
          report.scanned += 1;
          armIdle();
          work.push(handle(message));
          if (report.scanned >= toScan) finish();
        },
        { noAck: false },
      )
      .then(({ consumerTag: tag }) => {
        consumerTag = tag;
      }, reject);
  });
  return report;
}
