import { setTimeout as sleep } from 'node:timers/promises';
import { machineBusySeconds } from '../procfs/proc-stat.js';

/** Busier than this (share of one core) is not quiet: an idle system here reads about 5%. */
const QUIET_BUSY_SHARE = 0.4;
const WINDOW_MS = 500;

/**
 * Waits until the machine is quiet: an overloaded step leaves queues that other consumers (the
 * notifier, presence) keep draining after the last push arrived, and the next step would be
 * measured against that leftover work. Gives up after `maxMs` and says so.
 */
export async function untilQuiet(maxMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const before = machineBusySeconds();
    await sleep(WINDOW_MS);
    const busyShare = (machineBusySeconds() - before) / (WINDOW_MS / 1000);
    if (busyShare < QUIET_BUSY_SHARE) return;
    if (Date.now() > deadline) {
      log(
        `  the machine stayed busy (${Math.round(busyShare * 100)}% of one core) for ${maxMs / 1000} s; measuring anyway`,
      );
      return;
    }
  }
}
