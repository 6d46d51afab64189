import { execFileAsync, findExecutable } from './commands.js';

const SBIN = ['/usr/sbin', '/usr/lib/rabbitmq/bin'];

/**
 * Starts a new write-ahead log for the local broker's quorum queues. Every quorum queue of a node
 * shares one WAL; when it reaches its size limit (512 MB by default) the node starts a new one
 * and its segment writers move every queue's entries out of the old one, a burst of broker work
 * (seen at 79% of a core for a few seconds, with one segment-writer warning per queue deleted
 * since). The benchmark rolls the WAL before it measures, so that burst falls outside its steps
 * instead of into whichever one reaches the limit. Returns false when this machine's broker
 * cannot be asked (no `rabbitmqctl`, or no rights to its node).
 */
export async function rollQuorumWal(): Promise<boolean> {
  const ctl = findExecutable('rabbitmqctl', SBIN);
  if (!ctl) return false;
  try {
    const { stdout } = await execFileAsync(ctl, ['eval', 'ra_log_wal:force_roll_over(ra_log_wal).'], {
      timeout: 30_000,
    });
    return stdout.trim() === 'ok';
  } catch {
    return false;
  }
}
