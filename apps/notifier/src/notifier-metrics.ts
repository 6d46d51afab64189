import type { Queue } from 'bullmq';
import { Counter, Gauge, type Registry } from 'prom-client';

const JOB_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed'] as const;

/** What the notifier counts; job counts are read from BullMQ at each scrape. */
export function notifierMetrics(registry: Registry, queue: Queue) {
  const registers = [registry];
  return {
    jobs: new Gauge({
      name: 'chat_notifier_jobs',
      help: 'Notification jobs in the BullMQ queue, by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ state }, counts[state] ?? 0);
      },
    }),
    scheduled: new Counter({
      name: 'chat_notifier_scheduled_total',
      help: 'Messages put in a pending notification for an offline recipient',
      registers,
    }),
    sent: new Counter({
      name: 'chat_notifier_notifications_sent_total',
      help: 'Notifications delivered (2xx from the webhook, or written to the log)',
      labelNames: ['transport'],
      registers,
    }),
    skipped: new Counter({
      name: 'chat_notifier_notifications_skipped_total',
      help: 'Notification jobs that sent nothing, by reason',
      labelNames: ['reason'],
      registers,
    }),
    windowsRead: new Counter({
      name: 'chat_notifier_windows_read_total',
      help: 'Notification windows of an offline member, by where their unread messages were found: in the claimed pending set (pending: none changed since announced) or in the log (log: an edit or delete since, or no preview)',
      labelNames: ['source'],
      registers,
    }),
    heldForPacing: new Counter({
      name: 'chat_notifier_jobs_held_for_pacing_total',
      help: "Notification jobs that started before their streak's gap was over (their delay was reckoned from a streak that grew meanwhile) and were put back until it is",
      registers,
    }),
    attemptFailures: new Counter({
      name: 'chat_notifier_attempt_failures_total',
      help: 'Failed delivery attempts (each is retried with backoff until the attempts run out)',
      registers,
    }),
  };
}

export type NotifierMetrics = ReturnType<typeof notifierMetrics>;
