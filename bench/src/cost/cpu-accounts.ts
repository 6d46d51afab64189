import { readFileSync } from 'node:fs';
import { pidListeningOn } from '../procfs/listening-pid.js';

/**
 * Whose CPU the cost table lists. Apps and helper servers are found by what the bench started
 * (their child pids); shared services by the port they serve (see pidListeningOn), never by name.
 */
export interface CpuAccount {
  /** The row's label, e.g. `ws-edge-1`, `RabbitMQ (beam.smp)`. */
  name: string;
  role: 'app' | 'service' | 'load' | 'peer';
  /** Asked at every snapshot: a restarted app has a new pid. */
  pid(): number | undefined;
  /** Count the whole process tree (PostgreSQL: postmaster and every backend, live or reaped). */
  tree: boolean;
}

export interface ServicePorts {
  rabbitmq: number;
  redis: number;
  /** The MongoDB-protocol server (FerretDB here). */
  database: number;
  /** FerretDB's PostgreSQL, when the database server is FerretDB. */
  postgres?: number;
}

/** The shared services' accounts, resolved once: services do not restart during a run. */
export function serviceAccounts(ports: ServicePorts): CpuAccount[] {
  const accounts: CpuAccount[] = [];
  const add = (label: string, port: number | undefined, tree: boolean) => {
    if (port === undefined) return;
    const pid = pidListeningOn(port);
    if (pid === undefined) return;
    accounts.push({ name: `${label} (${commOf(pid)})`, role: 'service', pid: () => pid, tree });
  };
  // beam.smp's children (erl_child_setup, inet_gethost) are RabbitMQ's too.
  add('RabbitMQ', ports.rabbitmq, true);
  add('database server', ports.database, true);
  // Every PostgreSQL backend is a child of the postmaster; the tree includes WAL writer and checkpointer, which commits pay for.
  add('PostgreSQL', ports.postgres, true);
  add('Redis', ports.redis, false);
  return accounts;
}

/** This process: the load generator's worker threads and the main thread that drives them. */
export function loadGeneratorAccount(): CpuAccount {
  return { name: 'load generator (bench process)', role: 'load', pid: () => process.pid, tree: false };
}

export function childAccount(name: string, role: CpuAccount['role'], pid: () => number | undefined): CpuAccount {
  return { name, role, pid, tree: false };
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return `pid ${pid}`;
  }
}

/** The port of a URL, or the protocol's default. */
export function portOf(url: string, fallback: number): number {
  const parsed = new URL(url.replace(/^(mongodb(\+srv)?|amqps?|redis|rediss|postgres(ql)?):/, 'http:'));
  return parsed.port ? Number(parsed.port) : fallback;
}
