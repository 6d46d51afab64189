import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { allPids, procStat } from './proc-stat.js';

/**
 * The process listening on a local TCP port, found the way `ss -p` does it: the listening
 * socket's inode from /proc/net/tcp{,6}, then the process holding a descriptor on that inode.
 * No pid file or process name is trusted: whatever serves the port is what the bench talks to.
 */
export function pidListeningOn(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  const holders = new Set<number>();
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        holders.add(pid);
        break;
      }
    }
  }
  // A forked child may hold the inherited socket too: the owner is the holder whose parent is not one.
  for (const pid of holders) {
    const parent = procStat(pid)?.ppid ?? 0;
    if (!holders.has(parent)) return pid;
  }
  return undefined;
}

/** LISTEN is state 0A; the local address is HEXIP:HEXPORT. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (!local || fields[3] !== '0A') continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}
