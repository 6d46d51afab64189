import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { Job } from 'bullmq';

/**
 * Bull Board's BullMQ adapter with every job's stack trace blanked before the board formats it:
 * a trace names the server's files and dependencies. The queue stores none any more
 * (`stackTraceLimit: 0`); this covers jobs stored before that, or added with options of their
 * own. The failure reason, an error message, is still shown.
 */
export class TraceFreeBullMQAdapter extends BullMQAdapter {
  override async getJob(id: string): Promise<Job | undefined> {
    const job = await super.getJob(id);
    if (job) job.stacktrace = [];
    return job;
  }

  override async getJobs(...args: Parameters<BullMQAdapter['getJobs']>): Promise<Job[]> {
    const jobs = await super.getJobs(...args);
    for (const job of jobs) job.stacktrace = [];
    return jobs;
  }
}
