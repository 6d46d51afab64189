import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { processMetrics } from '@chat/scripts/process-metrics';
import { type LoadPool, split } from '../load/pool.js';
import type { IdleResult } from '../load/protocol.js';
import { processCpuSeconds } from '../procfs/proc-stat.js';
import { round } from '../stats.js';

export interface ConnectionsReport {
  connections: number;
  failed: number;
  connectPerS: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  rssPerConnectionKiB: number;
  /** V8 heap in use per connection after a full GC (from the edge's own metrics): what the sessions hold. */
  heapPerConnectionKiB: number;
  idleCpuPercent: number;
  pingIntervalMs: number;
}

/** RSS of a process in bytes, from /proc. */
export function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

/**
 * N authenticated idle connections on one edge node: how fast they connect, the node's RSS per
 * connection once they have settled, and the CPU the node spends idle (pings every
 * `pingIntervalMs`, presence heartbeats).
 */
export async function idleConnections(options: {
  pool: LoadPool;
  edgeUrl: string;
  /** The same edge's metrics listener. */
  edgeMetricsUrl: string;
  edgePid: number;
  tokens: string[];
  idleWindowMs: number;
  pingIntervalMs: number;
  /** A full GC in the edge before each reading, so heap and RSS are not GC timing. */
  forceGc: () => Promise<void>;
  log: (line: string) => void;
}): Promise<ConnectionsReport> {
  await sleep(2_000);
  await options.forceGc();
  const rssBefore = rssOf(options.edgePid);
  const heapBefore = (await processMetrics(options.edgeMetricsUrl)).heapUsedBytes;
  const parts = split(options.tokens, options.pool.size);
  const results = await options.pool.each<IdleResult>((index) => ({
    kind: 'setup-idle',
    url: options.edgeUrl,
    tokens: parts[index] ?? [],
    concurrency: 64,
  }));
  const connected = results.reduce((n, r) => n + r.connected, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const elapsedS = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
  if (failed > 0) options.log(`  ${failed} connections failed: ${results.find((r) => r.firstError)?.firstError}`);
  await sleep(3_000);
  const cpuStart = processCpuSeconds(options.edgePid);
  await sleep(options.idleWindowMs);
  const cpuUsed = processCpuSeconds(options.edgePid) - cpuStart;
  await options.forceGc();
  const rssAfter = rssOf(options.edgePid);
  const heapAfter = (await processMetrics(options.edgeMetricsUrl)).heapUsedBytes;
  await options.pool.each(() => ({ kind: 'close' }));
  const report: ConnectionsReport = {
    connections: connected,
    failed,
    connectPerS: round(connected / elapsedS, 0),
    rssBeforeMiB: round(rssBefore / 2 ** 20, 1),
    rssAfterMiB: round(rssAfter / 2 ** 20, 1),
    rssPerConnectionKiB: round((rssAfter - rssBefore) / 1024 / Math.max(1, connected), 2),
    heapPerConnectionKiB: round((heapAfter - heapBefore) / 1024 / Math.max(1, connected), 2),
    idleCpuPercent: round((cpuUsed / (options.idleWindowMs / 1000)) * 100, 2),
    pingIntervalMs: options.pingIntervalMs,
  };
  options.log(
    `  ${connected} idle connections: ${report.connectPerS}/s to connect, ${report.rssPerConnectionKiB} KiB RSS each (${report.heapPerConnectionKiB} KiB heap), ${report.idleCpuPercent}% CPU idle`,
  );
  return report;
}
