import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Readings from /proc/<pid>/stat and /proc/stat, in seconds of CPU. Reading /proc costs no
 * process of its own and disturbs nothing, so it can be done at every step's start and end.
 */

/** USER_HZ: the unit of every tick count in /proc (almost always 100; asked once, not assumed). */
export const CLOCK_TICKS_PER_S: number = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcStat {
  pid: number;
  ppid: number;
  /** Of the process itself, all threads: utime + stime. */
  ownTicks: number;
  /** Of its children it has waited for (cutime + cstime): a reaped child's CPU lives on here. */
  reapedChildrenTicks: number;
}

/** One /proc/<pid>/stat, or undefined when the process is gone (it may exit between list and read). */
export function procStat(pid: number, task?: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(task === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${task}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3] ?? 0);
  return {
    pid,
    ppid: field(4),
    ownTicks: field(14) + field(15),
    reapedChildrenTicks: field(16) + field(17),
  };
}

/** Every pid now in /proc. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Pid → its live children, from one pass over /proc. */
export function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const stat = procStat(pid);
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  return children;
}

/**
 * CPU seconds of a process tree: the root with every child it reaped, plus each live descendant
 * the same way. Monotonic across a step even when children come and go (a PostgreSQL backend
 * that exits mid-step moves from "live child" into the postmaster's reaped counts).
 */
export function treeCpuSeconds(root: number, children: Map<number, number[]> = childrenByParent()): number {
  const ticks = sumOverTree(root, children, (pid) => {
    const stat = procStat(pid);
    return stat && stat.ownTicks + stat.reapedChildrenTicks;
  });
  return ticks / CLOCK_TICKS_PER_S;
}

/** `countOf` summed over a process and its live descendants; a process gone (undefined) is skipped with its subtree. */
function sumOverTree(
  root: number,
  children: Map<number, number[]>,
  countOf: (pid: number) => number | undefined,
): number {
  let sum = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    const value = countOf(pid);
    if (value === undefined) continue;
    sum += value;
    stack.push(...(children.get(pid) ?? []));
  }
  return sum;
}

/** CPU seconds of one process (all its threads), without its children. */
export function processCpuSeconds(pid: number): number {
  return (procStat(pid)?.ownTicks ?? 0) / CLOCK_TICKS_PER_S;
}

/** Busy CPU seconds of the whole machine (every state but idle and iowait), summed over cores. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, _idle, _iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS_PER_S;
}

/**
 * Read and write system calls of one process so far (`syscr` + `syscw` of /proc/<pid>/io, every
 * thread), or 0 when it is gone. The kernel counts the read and write family there (read, write,
 * their vector and positional forms, on sockets and files alike), not send, recv and their kin:
 * a process's count compares with its own in another window, not with another program's.
 */
export function processSystemCalls(pid: number): number {
  return systemCallsOf(pid) ?? 0;
}

/** System calls of a process tree's live processes (a child reaped during a step takes its count with it). */
export function treeSystemCalls(root: number, children: Map<number, number[]> = childrenByParent()): number {
  return sumOverTree(root, children, systemCallsOf);
}

function systemCallsOf(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/io`, 'utf8');
  } catch {
    return undefined;
  }
  const count = (key: string) => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return count('syscr') + count('syscw');
}
