import { setTimeout as sleep } from 'node:timers/promises';
import { EXCHANGES, HEADERS } from '@chat/broker';
import amqp from 'amqplib';
import { createdEvent } from '../baselines/message-shape.js';
import { type CpuCost, type CpuMeter, costBetween } from '../cost/cpu-meter.js';
import { scrape } from '../server-metrics.js';
import { round } from '../stats.js';

export interface DrainReport {
  messages: number;
  conversations: number;
  publishPerS: number;
  /** From the persisters' first write to the last. */
  drainPerS: number;
  drainSeconds: number;
  /** False when the wait ran out (`maxDrainMs`): the rate is then over what was written by then. */
  complete: boolean;
  persisted: number;
  /**
   * Notification jobs the notifier finished (sent or skipped) while draining: the recipients of
   * the drained messages are offline, so the drain also notifies them.
   */
  notificationJobs?: number;
  /**
   * Of those jobs' windows, how many read the log (a message edited or deleted since, or no
   * preview) rather than their pending set: the drain sends plain messages, so none should.
   */
  windowsFromLog?: number;
  /** CPU per persisted message while draining. */
  cpu?: CpuCost;
}

const IN_FLIGHT = 2_000;

/**
 * N messages queued while the persisters are stopped, then the time the two persisters take to
 * write them all (read from their own metrics).
 */
export async function drain(options: {
  amqpUrl: string;
  conversationIds: string[];
  /** Each conversation's two members; the first is the sender. */
  members: Map<string, [string, string]>;
  messages: number;
  stopPersisters: () => Promise<void>;
  startPersisters: () => Promise<string[]>;
  /** Where the notifier's metrics are: its jobs are counted over the drain. */
  notifierMetricsUrl?: string;
  /** Bounds the run: past this, the drain is reported as incomplete instead of waited for. */
  maxDrainMs: number;
  meter?: CpuMeter;
  log: (line: string) => void;
}): Promise<DrainReport> {
  await options.stopPersisters();
  const connection = await amqp.connect(options.amqpUrl);
  const channel = await connection.createConfirmChannel();
  const publishStarted = performance.now();
  let inFlight = 0;
  for (let i = 0; i < options.messages; i += 1) {
    const conversationId = options.conversationIds[i % options.conversationIds.length] ?? '';
    const members = options.members.get(conversationId) ?? ['', ''];
    const event = createdEvent(conversationId, i, [...members]);
    while (inFlight >= IN_FLIGHT) await sleep(1);
    inFlight += 1;
    channel.publish(
      EXCHANGES.inbound,
      '',
      Buffer.from(JSON.stringify(event)),
      {
        persistent: true,
        messageId: event.messageId,
        contentType: 'application/json',
        type: event.type,
        headers: { [HEADERS.conversationId]: conversationId },
      },
      () => {
        inFlight -= 1;
      },
    );
  }
  await channel.waitForConfirms();
  const publishPerS = options.messages / ((performance.now() - publishStarted) / 1000);
  await connection.close();
  options.log(`  queued ${options.messages} messages at ${round(publishPerS, 0)}/s; starting the persisters`);

  // The notifier's sent and skipped counters, summed over their labels, and its windows read from the log.
  const notificationJobs = async () => {
    if (options.notifierMetricsUrl === undefined) return undefined;
    const sums = await scrape([options.notifierMetricsUrl]);
    return {
      jobs:
        (sums.get('chat_notifier_notifications_sent_total') ?? 0) +
        (sums.get('chat_notifier_notifications_skipped_total') ?? 0),
      fromLog: sums.get('chat_notifier_windows_read_total:log') ?? 0,
    };
  };
  const jobsBefore = await notificationJobs();
  const metricsUrls = await options.startPersisters();
  const cpuBefore = options.meter?.snapshot();
  const startedAt = performance.now();
  let firstWriteAt = 0;
  let persisted = 0;
  for (;;) {
    const counts = await Promise.all(
      metricsUrls.map(async (url) => persistedCount(await (await fetch(`${url}/metrics`)).text())),
    );
    persisted = counts.reduce((a, b) => a + b, 0);
    if (persisted > 0 && firstWriteAt === 0) firstWriteAt = performance.now();
    if (persisted >= options.messages || performance.now() - startedAt > options.maxDrainMs) break;
    await sleep(100);
  }
  const cpuAfter = options.meter?.snapshot();
  const jobsAfter = await notificationJobs();
  const drainSeconds = (performance.now() - (firstWriteAt || startedAt)) / 1000;
  const report: DrainReport = {
    messages: options.messages,
    conversations: options.conversationIds.length,
    publishPerS: round(publishPerS, 0),
    drainPerS: round(persisted / drainSeconds, 0),
    drainSeconds: round(drainSeconds, 2),
    complete: persisted >= options.messages,
    persisted,
    ...(jobsBefore !== undefined && jobsAfter !== undefined
      ? { notificationJobs: jobsAfter.jobs - jobsBefore.jobs, windowsFromLog: jobsAfter.fromLog - jobsBefore.fromLog }
      : {}),
    ...(cpuBefore && cpuAfter ? { cpu: costBetween(cpuBefore, cpuAfter, persisted) } : {}),
  };
  options.log(
    `  ${report.complete ? 'drained' : 'NOT drained in time:'} ${persisted}/${options.messages} in ${report.drainSeconds} s: ${report.drainPerS}/s; ${report.notificationJobs ?? '?'} notification jobs meanwhile (${report.windowsFromLog ?? '?'} read the log)`,
  );
  return report;
}

function persistedCount(metrics: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith('chat_persister_messages_persisted_total'));
  return Number(line?.split(' ').at(-1) ?? 0);
}
