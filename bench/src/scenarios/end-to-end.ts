import type { CpuCost, CpuMeter } from '../cost/cpu-meter.js';
import { untilQuiet } from '../cost/quiet-machine.js';
import type { LoadPool } from '../load/pool.js';
import { split } from '../load/pool.js';
import type { PairSpec, StepResult, Transport } from '../load/protocol.js';
import { type ServerSide, scrape, serverSideOf } from '../server-metrics.js';
import { type LatencySummary, round, summarize } from '../stats.js';
import { refinementRate } from './ladder.js';

export interface StepReport {
  offeredPerS: number;
  deliveredPerS: number;
  /** New messages sent (edits, deletes and reactions are in `mixed`). */
  sent: number;
  acked: number;
  received: number;
  lost: number;
  duplicates: number;
  errors: Record<string, number>;
  latencyMs: LatencySummary;
  /**
   * The same latencies cut where the sending edge accepted each message (the pipeline only):
   * send → accepted (the client's frame, the edge, the confirmed publish's start) and accepted →
   * the recipient's push (the broker, the persister, the database, the fanout, the other edge).
   * Read across two processes' clocks on one machine, to the millisecond.
   */
  split?: { toAcceptedMs: LatencySummary; acceptedToPushMs: LatencySummary };
  /** The load generator sent under 90% of what the rate asked: the step measured the generator, not the system. */
  generatorBound: boolean;
  /** Messages the database gained during the step (the pipeline only): must equal `acked`. */
  persisted?: number;
  /** The apps' own metrics over the step (the pipeline only). */
  serverSide?: ServerSide;
  /** CPU per delivered message of every process, from /proc at the step's start and end. */
  cpu?: CpuCost;
  /** Edits, deletes and reactions mixed in (only with --mixed-kinds); `persisted`: log entries of other kinds the step wrote. */
  mixed?: {
    sent: number;
    acked: number;
    errors: Record<string, number>;
    ackLatencyMs: LatencySummary;
    persisted?: number;
  };
}

export interface EndToEndReport {
  label: string;
  transport: Transport;
  conversations: number;
  mixedShare: number;
  steps: StepReport[];
  /** The highest delivered rate of a step with p99 ≤ 250 ms and nothing lost. */
  maxSustainedPerS: number;
  /** Why the stepping stopped. */
  stoppedBy: string;
  /** A step at half the max sustained rate, run after the ladder, for the "p99 at half max" target. */
  halfMax?: StepReport;
}

export const P99_LIMIT_MS = 250;
/** A step that offered less than this share of its rate measured the load generator. */
const GENERATOR_SHARE = 0.9;
const GRACE_MS = 5_000;
/** The longest a step waits for the work the one before it left (see `untilQuiet`). */
const SETTLE_MAX_MS = 30_000;

/**
 * Conversations of two users each, the sender on one node and the receiver on the other (which
 * node sends alternates by conversation), open loop at a constant rate spread round robin over
 * all conversations, stepping up until p99 passes 250 ms or anything is lost. Latency is send →
 * the receiver's push.
 */
export async function endToEnd(options: {
  label: string;
  pool: LoadPool;
  transport: Transport;
  urls: [string, string];
  pairs: PairSpec[];
  rates: number[];
  stepMs: number;
  /** Total rate of the warm-up (one message per conversation); 0 for none. */
  warmupPerS: number;
  mixedShare?: number;
  meter?: CpuMeter;
  /** For the pipeline: counts stored messages, to check each acked one was persisted once. */
  countStored?: () => Promise<number>;
  /** For the pipeline: counts the log's entries of other kinds (edits, deletes, reactions). */
  countEntries?: () => Promise<number>;
  /** Apps whose /metrics explain the step (the pipeline only). */
  metricsUrls?: string[];
  log: (line: string) => void;
}): Promise<EndToEndReport> {
  const { pool } = options;
  const parts = split(options.pairs, pool.size);
  await pool.each((index) => ({
    kind: 'setup-pairs',
    transport: options.transport,
    urls: options.urls,
    pairs: parts[index] ?? [],
  }));
  if (options.warmupPerS > 0) {
    // Not reported: each conversation's first message loads its seq counter and fills the
    // edges' membership caches. One message per conversation, at a rate the system carries.
    const perWorker = options.warmupPerS / pool.size;
    const durationMs = Math.max(2_000, Math.ceil((options.pairs.length / pool.size / perWorker) * 1000) + 100);
    await pool.each(() => ({
      kind: 'step',
      tag: `${options.transport}-warmup-${Date.now()}`,
      rate: perWorker,
      durationMs,
      graceMs: GRACE_MS,
    }));
  }
  const runStep = (rate: number) => oneStep(options, rate);
  const steps: StepReport[] = [];
  let stoppedBy = 'the top of the ladder';
  let lastSustained = 0;
  for (const rate of options.rates) {
    const step = await runStep(rate);
    steps.push(step);
    const failure = failureOf(step);
    if (failure) {
      stoppedBy = `${failure} at ${rate}/s`;
      const between = refinementRate(lastSustained, rate);
      if (between !== undefined) {
        // Measured after the failed step (each step waits for a quiet machine first), listed in
        // order of rate.
        const refined = await runStep(between);
        steps.splice(steps.length - 1, 0, refined);
        if (failureOf(refined)) stoppedBy += `, and ${failureOf(refined)} at ${between}/s`;
      }
      break;
    }
    lastSustained = rate;
  }
  const maxSustainedPerS = Math.max(0, ...steps.filter((s) => !failureOf(s)).map((s) => s.deliveredPerS));
  const half = Math.round(maxSustainedPerS / 2);
  const halfMax = half > 0 ? await runStep(half) : undefined;
  await pool.each(() => ({ kind: 'close' }));
  options.log(`  ${options.label}: max sustained ${maxSustainedPerS}/s; stopped by ${stoppedBy}`);
  return {
    label: options.label,
    transport: options.transport,
    conversations: options.pairs.length,
    mixedShare: options.mixedShare ?? 0,
    steps,
    maxSustainedPerS,
    stoppedBy,
    ...(halfMax ? { halfMax } : {}),
  };
}

/** Why a step does not count as sustained, if it does not. */
export function failureOf(step: StepReport): string | undefined {
  if (step.lost > 0) return `${step.lost} lost`;
  if (step.duplicates > 0) return `${step.duplicates} duplicated`;
  if (Object.keys(step.errors).length > 0) return `errors ${JSON.stringify(step.errors)}`;
  if (step.mixed && Object.keys(step.mixed.errors).length > 0)
    return `errors on mixed kinds ${JSON.stringify(step.mixed.errors)}`;
  if (step.latencyMs.p99 > P99_LIMIT_MS) return `p99 ${step.latencyMs.p99} ms > ${P99_LIMIT_MS} ms`;
  if (step.generatorBound) return 'the load generator (it could not offer the rate)';
  return undefined;
}

async function oneStep(options: Parameters<typeof endToEnd>[0], rate: number): Promise<StepReport> {
  const { pool } = options;
  await untilQuiet(SETTLE_MAX_MS, options.log);
  const mixing = (options.mixedShare ?? 0) > 0;
  const before = options.countStored ? await options.countStored() : 0;
  const entriesBefore = mixing && options.countEntries ? await options.countEntries() : 0;
  const metricsBefore = options.metricsUrls ? await scrape(options.metricsUrls) : undefined;
  const command = () => ({
    kind: 'step' as const,
    tag: `${options.transport}-${rate}-${Date.now()}`,
    rate: rate / pool.size,
    durationMs: options.stepMs,
    graceMs: GRACE_MS,
    mixedShare: options.mixedShare ?? 0,
  });
  const run = () => pool.each<StepResult>(command);
  const received = (results: StepResult[]) => sum(results, (r) => r.received);
  const measured = options.meter ? await options.meter.measure(run, received) : { result: await run(), cpu: undefined };
  const results = measured.result;
  const startedAt = Math.min(...results.map((r) => r.startedAt));
  const lastReceivedAt = Math.max(...results.map((r) => r.lastReceivedAt));
  const errors: Record<string, number> = {};
  for (const result of results)
    for (const [code, n] of Object.entries(result.errors)) errors[code] = (errors[code] ?? 0) + n;
  const offered = sum(results, (r) => r.sent + r.mixed.sent);
  const step: StepReport = {
    offeredPerS: rate,
    deliveredPerS: round(received(results) / Math.max(0.001, (lastReceivedAt - startedAt) / 1000), 0),
    sent: sum(results, (r) => r.sent),
    acked: sum(results, (r) => r.acked),
    received: received(results),
    lost: sum(results, (r) => r.missing),
    duplicates: sum(results, (r) => r.duplicates),
    errors,
    latencyMs: summarize(results.flatMap((r) => r.latenciesMs)),
    generatorBound: offered < GENERATOR_SHARE * rate * (options.stepMs / 1000),
  };
  if (measured.cpu) step.cpu = measured.cpu;
  const acceptedToPushMs = results.flatMap((r) => r.split.acceptedToPushMs);
  if (acceptedToPushMs.length > 0)
    step.split = {
      toAcceptedMs: summarize(results.flatMap((r) => r.split.toAcceptedMs)),
      acceptedToPushMs: summarize(acceptedToPushMs),
    };
  if (mixing) {
    const mixedErrors: Record<string, number> = {};
    for (const result of results)
      for (const [code, n] of Object.entries(result.mixed.errors)) mixedErrors[code] = (mixedErrors[code] ?? 0) + n;
    step.mixed = {
      sent: sum(results, (r) => r.mixed.sent),
      acked: sum(results, (r) => r.mixed.acked),
      errors: mixedErrors,
      ackLatencyMs: summarize(results.flatMap((r) => r.mixed.ackLatenciesMs)),
      ...(options.countEntries ? { persisted: (await options.countEntries()) - entriesBefore } : {}),
    };
  }
  if (options.countStored) step.persisted = (await options.countStored()) - before;
  if (options.metricsUrls && metricsBefore)
    step.serverSide = serverSideOf(metricsBefore, await scrape(options.metricsUrls));
  options.log(
    `  ${options.label} ${rate}/s: delivered ${step.deliveredPerS}/s, p50 ${step.latencyMs.p50} ms, p99 ${step.latencyMs.p99} ms, lost ${step.lost}` +
      (step.persisted === undefined ? '' : `, persisted ${step.persisted}/${step.acked}`) +
      (step.mixed
        ? `, mixed ${step.mixed.acked}/${step.mixed.sent} acked (p99 ${step.mixed.ackLatencyMs.p99} ms)`
        : '') +
      (step.split
        ? ` (p99 send→accepted ${step.split.toAcceptedMs.p99} ms, accepted→push ${step.split.acceptedToPushMs.p99} ms)`
        : '') +
      (step.cpu ? `, ${step.cpu.listedUsPerMessage} µs CPU/msg (machine ${step.cpu.machineBusyPercent}% busy)` : '') +
      (step.serverSide
        ? ` | server: ${step.serverSide.persisterBatches} batches of ${step.serverSide.meanBatchSize} in ${step.serverSide.meanBatchMs} ms, accepted→push ${step.serverSide.meanAcceptedToPushMs} ms, phases ${JSON.stringify(step.serverSide.meanPhaseMs)}`
        : ''),
  );
  return step;
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}
