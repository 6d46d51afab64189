import {
  childrenByParent,
  machineBusySeconds,
  processCpuSeconds,
  processSystemCalls,
  treeCpuSeconds,
  treeSystemCalls,
} from '../procfs/proc-stat.js';
import { round } from '../stats.js';
import type { CpuAccount } from './cpu-accounts.js';

/** CPU seconds per account (keyed by name and pid, so a restart is not read as negative time). */
export interface CpuSnapshot {
  atMs: number;
  machineS: number;
  byAccount: Map<string, { pid: number; seconds: number; systemCalls: number; role: CpuAccount['role'] }>;
}

/** Where the CPU of a step went, per message the step delivered. */
export interface CpuCost {
  messages: number;
  elapsedS: number;
  /** CPU microseconds per message, per process row. */
  usPerMessage: Record<string, number>;
  /** Read and write system calls per message, per process row (/proc/<pid>/io; absent in results of earlier runs). */
  systemCallsPerMessage?: Record<string, number>;
  /** Share of one core each process used over the step, in %. */
  corePercent: Record<string, number>;
  /** The sum of the rows. */
  listedUsPerMessage: number;
  /** Every busy CPU state of the machine, all cores: the rows plus everything else running. */
  machineUsPerMessage: number;
  /** Busy machine time not in any row (other users of the box, the kernel's own threads). */
  unlistedUsPerMessage: number;
  machineBusyPercent: number;
}

/** Reads /proc at a step's start and end; the difference, divided by what was delivered, is the cost table. */
export class CpuMeter {
  readonly #accounts: () => readonly CpuAccount[];

  constructor(accounts: () => readonly CpuAccount[]) {
    this.#accounts = accounts;
  }

  snapshot(): CpuSnapshot {
    const children = childrenByParent();
    const byAccount: CpuSnapshot['byAccount'] = new Map();
    for (const account of this.#accounts()) {
      const pid = account.pid();
      if (!pid) continue;
      const seconds = account.tree ? treeCpuSeconds(pid, children) : processCpuSeconds(pid);
      const systemCalls = account.tree ? treeSystemCalls(pid, children) : processSystemCalls(pid);
      byAccount.set(account.name, { pid, seconds, systemCalls, role: account.role });
    }
    return { atMs: performance.now(), machineS: machineBusySeconds(), byAccount };
  }

  /** Runs `work` between two snapshots; `messages` says what the step delivered. */
  async measure<T>(work: () => Promise<T>, messages: (result: T) => number): Promise<{ result: T; cpu: CpuCost }> {
    const before = this.snapshot();
    const result = await work();
    return { result, cpu: costBetween(before, this.snapshot(), messages(result)) };
  }
}

export function costBetween(before: CpuSnapshot, after: CpuSnapshot, messages: number): CpuCost {
  const elapsedS = (after.atMs - before.atMs) / 1000;
  const per = (seconds: number) => round((seconds * 1e6) / Math.max(1, messages), 1);
  const usPerMessage: Record<string, number> = {};
  const systemCallsPerMessage: Record<string, number> = {};
  const corePercent: Record<string, number> = {};
  let listed = 0;
  for (const [name, end] of after.byAccount) {
    const start = before.byAccount.get(name);
    // A process started during the step (a restarted persister) counts from zero.
    const sameProcess = start !== undefined && start.pid === end.pid;
    const used = Math.max(0, end.seconds - (sameProcess ? start.seconds : 0));
    listed += used;
    usPerMessage[name] = per(used);
    const calls = Math.max(0, end.systemCalls - (sameProcess ? start.systemCalls : 0));
    systemCallsPerMessage[name] = round(calls / Math.max(1, messages), 2);
    corePercent[name] = round((used / Math.max(0.001, elapsedS)) * 100, 1);
  }
  const machine = Math.max(0, after.machineS - before.machineS);
  return {
    messages,
    elapsedS: round(elapsedS, 2),
    usPerMessage,
    systemCallsPerMessage,
    corePercent,
    listedUsPerMessage: per(listed),
    machineUsPerMessage: per(machine),
    unlistedUsPerMessage: per(Math.max(0, machine - listed)),
    machineBusyPercent: round((machine / Math.max(0.001, elapsedS)) * 100, 1),
  };
}
