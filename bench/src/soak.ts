import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { processMetrics } from '@chat/scripts/process-metrics';
import { openBenchSession } from './bench-session.js';
import { directPairs } from './fixtures.js';
import { split } from './load/pool.js';
import type { StepResult } from './load/protocol.js';
import { machineFacts } from './machine.js';
import { round, summarize } from './stats.js';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
const SAMPLE_EVERY_MS = 10_000;
/** Memory counts as flat when the last minute's RSS is within this much of the second minute's. */
const FLAT_RSS_GROWTH = 0.15;

interface Sample {
  atS: number;
  /** Per app: resident set (MiB) and event-loop lag p99 (ms). */
  apps: Record<string, { rssMiB: number; lagP99Ms: number }>;
}

/**
 * `npm run soak`: 2,000 connections (1,000 pairs, half sending on each edge node) exchanging
 * 200 msg/s for 10 minutes; RSS and event-loop lag of every process sampled every 10 s. The bar:
 * every acked message persisted once and delivered once, and flat memory.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      minutes: { type: 'string', default: '10' },
      connections: { type: 'string', default: '2000' },
      rate: { type: 'string', default: '200' },
    },
  });
  const minutes = Number(values.minutes);
  const pairCount = Math.floor(Number(values.connections) / 2);
  const rate = Number(values.rate);
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const { env, system, fixtures, pool, cleanUp } = await openBenchSession(2, log);
  const samples: Sample[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const machine = await machineFacts(env);
    log(`soak: ${pairCount * 2} connections, ${rate} msg/s, ${minutes} min on ${machine.cores} × ${machine.cpuModel}`);
    await system.start();
    const people = await fixtures.users(pairCount * 2, 'soak');
    // Half the pairs send on edge 1 to receivers on edge 2, the other half the other way round.
    const pairs = await directPairs(people, (couples) =>
      fixtures.conversations(
        'direct',
        couples.map(([sender, receiver]) => [sender.id, receiver.id]),
      ),
    );
    const edges = [system.url('ws-edge-1'), system.url('ws-edge-2')];
    const parts = split(pairs, pool.size);
    await pool.each((index) => ({
      kind: 'setup-pairs',
      transport: 'chat',
      urls: edges,
      pairs: parts[index] ?? [],
    }));

    const startedAt = performance.now();
    const sample = async () => {
      const apps: Sample['apps'] = {};
      for (const name of system.apps.keys()) apps[name] = await processFigures(system.metricsUrl(name));
      samples.push({ atS: Math.round((performance.now() - startedAt) / 1000), apps });
      const line = Object.entries(apps)
        .map(([name, figures]) => `${name} ${figures.rssMiB} MiB/${figures.lagP99Ms} ms`)
        .join(', ');
      log(`  t=${samples.at(-1)?.atS}s ${line}`);
    };
    await sample();
    timer = setInterval(
      () => void sample().catch((error: unknown) => log(`  sample failed: ${error}`)),
      SAMPLE_EVERY_MS,
    );
    const storedBefore = await fixtures.countMessages();
    const results = await pool.each<StepResult>(() => ({
      kind: 'step',
      tag: `soak-${Date.now()}`,
      rate: rate / pool.size,
      durationMs: minutes * 60_000,
      graceMs: 15_000,
    }));
    clearInterval(timer);
    await sample();
    const acked = results.reduce((n, r) => n + r.acked, 0);
    const persisted = (await fixtures.countMessages()) - storedBefore;
    const report = {
      startedAt: new Date(Date.now() - (performance.now() - startedAt)).toISOString(),
      machine,
      connections: pairs.length * 2,
      ratePerS: rate,
      minutes,
      sent: results.reduce((n, r) => n + r.sent, 0),
      acked,
      persisted,
      delivered: results.reduce((n, r) => n + r.received, 0),
      lost: results.reduce((n, r) => n + r.missing, 0) + Math.max(0, acked - persisted),
      duplicated: results.reduce((n, r) => n + r.duplicates, 0) + Math.max(0, persisted - acked),
      errors: results.reduce<Record<string, number>>((all, r) => {
        for (const [code, n] of Object.entries(r.errors)) all[code] = (all[code] ?? 0) + n;
        return all;
      }, {}),
      latencyMs: summarize(results.flatMap((r) => r.latenciesMs)),
      memory: memoryTrend(samples),
      samples,
    };
    const flat = Object.values(report.memory).every((trend) => trend.growth <= FLAT_RSS_GROWTH);
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${report.startedAt.replaceAll(':', '-').replace('.', '-')}-soak.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    log(
      `soak: acked ${acked}, persisted ${persisted}, delivered ${report.delivered}, lost ${report.lost}, duplicated ${report.duplicated}, p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms`,
    );
    for (const [name, trend] of Object.entries(report.memory)) {
      log(
        `  ${name}: RSS ${trend.warmMiB} → ${trend.endMiB} MiB (${round(trend.growth * 100, 1)}%), lag p99 max ${trend.maxLagP99Ms} ms`,
      );
    }
    log(`${flat && report.lost === 0 && report.duplicated === 0 ? 'PASSED' : 'FAILED'}; wrote ${file}`);
    return flat && report.lost === 0 && report.duplicated === 0 ? 0 : 1;
  } finally {
    clearInterval(timer);
    await cleanUp();
  }
}

/** RSS and event-loop lag p99 of an app, from its /metrics. */
async function processFigures(url: string): Promise<{ rssMiB: number; lagP99Ms: number }> {
  const metrics = await processMetrics(url);
  return {
    rssMiB: round(metrics.residentBytes / 2 ** 20, 1),
    lagP99Ms: round(metrics.eventLoopLagP99Seconds * 1000, 1),
  };
}

/** Per app: RSS once warm (the second minute) against the last minute, and the worst lag. */
function memoryTrend(samples: Sample[]) {
  const trends: Record<string, { warmMiB: number; endMiB: number; growth: number; maxLagP99Ms: number }> = {};
  const warm = samples.filter((s) => s.atS >= 60 && s.atS < 120);
  const end = samples.filter((s) => s.atS >= (samples.at(-1)?.atS ?? 0) - 60);
  const mean = (list: Sample[], app: string) =>
    list.reduce((total, s) => total + (s.apps[app]?.rssMiB ?? 0), 0) / Math.max(1, list.length);
  for (const app of Object.keys(samples[0]?.apps ?? {})) {
    const warmMiB = round(mean(warm.length > 0 ? warm : samples.slice(0, 1), app), 1);
    const endMiB = round(mean(end, app), 1);
    trends[app] = {
      warmMiB,
      endMiB,
      growth: warmMiB > 0 ? (endMiB - warmMiB) / warmMiB : 0,
      maxLagP99Ms: Math.max(...samples.map((s) => s.apps[app]?.lagP99Ms ?? 0)),
    };
  }
  return trends;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
