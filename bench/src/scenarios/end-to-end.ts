import type { LoadPool } from '../load/pool.js';
import { split } from '../load/pool.js';
import type { PairSpec, StepResult, Transport } from '../load/protocol.js';
import { type ServerSide, scrape, serverSideOf } from '../server-metrics.js';
import { type LatencySummary, round, summarize } from '../stats.js';

export interface StepReport {
  offeredPerS: number;
  deliveredPerS: number;
  sent: number;
  acked: number;
  received: number;
  lost: number;
  duplicates: number;
  errors: Record<string, number>;
  latencyMs: LatencySummary;
  /** Messages the database gained during the step (the pipeline only): must equal `acked`. */
  persisted?: number;
  /** The apps' own metrics over the step (the pipeline only). */
  serverSide?: ServerSide;
}

export interface EndToEndReport {
  transport: Transport;
  pairs: number;
  steps: StepReport[];
  /** The highest delivered rate of a step with p99 ≤ 250 ms and nothing lost. */
  maxSustainedPerS: number;
}

export const P99_LIMIT_MS = 250;

/**
 * P pairs, senders on one node and receivers on the other, open loop at a constant rate that
 * steps up until p99 passes 250 ms or anything is lost. Latency is send → the receiver's push.
 */
export async function endToEnd(options: {
  pool: LoadPool;
  transport: Transport;
  sendUrl: string;
  receiveUrl: string;
  pairs: PairSpec[];
  stepRates: number[];
  stepMs: number;
  /** For the pipeline: counts stored messages, to check each acked one was persisted once. */
  countStored?: () => Promise<number>;
  /** Apps whose /metrics explain the step (the pipeline only). */
  metricsUrls?: string[];
  log: (line: string) => void;
}): Promise<EndToEndReport> {
  const { pool } = options;
  const parts = split(options.pairs, pool.size);
  await pool.each((index) => ({
    kind: 'setup-pairs',
    transport: options.transport,
    sendUrl: options.sendUrl,
    receiveUrl: options.receiveUrl,
    pairs: parts[index] ?? [],
  }));
  // Warm-up, not reported: each conversation's first message loads its seq counter and fills
  // the edges' membership caches; the steps measure the steady state.
  await pool.each(() => ({
    kind: 'step',
    tag: `${options.transport}-warmup-${Date.now()}`,
    rate: Math.max(options.pairs.length, (options.stepRates[0] ?? 100) / 2) / pool.size,
    durationMs: 2_000,
    graceMs: 5_000,
  }));
  const steps: StepReport[] = [];
  for (const rate of options.stepRates) {
    const before = options.countStored ? await options.countStored() : 0;
    const metricsBefore = options.metricsUrls ? await scrape(options.metricsUrls) : undefined;
    const results = await pool.each<StepResult>(() => ({
      kind: 'step',
      tag: `${options.transport}-${rate}-${Date.now()}`,
      rate: rate / pool.size,
      durationMs: options.stepMs,
      graceMs: 5_000,
    }));
    const received = sum(results, (r) => r.received);
    const startedAt = Math.min(...results.map((r) => r.startedAt));
    const lastReceivedAt = Math.max(...results.map((r) => r.lastReceivedAt));
    const errors: Record<string, number> = {};
    for (const result of results)
      for (const [code, n] of Object.entries(result.errors)) errors[code] = (errors[code] ?? 0) + n;
    const step: StepReport = {
      offeredPerS: rate,
      deliveredPerS: round(received / Math.max(0.001, (lastReceivedAt - startedAt) / 1000), 0),
      sent: sum(results, (r) => r.sent),
      acked: sum(results, (r) => r.acked),
      received,
      lost: sum(results, (r) => r.missing),
      duplicates: sum(results, (r) => r.duplicates),
      errors,
      latencyMs: summarize(results.flatMap((r) => r.latenciesMs)),
    };
    if (options.countStored) step.persisted = (await options.countStored()) - before;
    if (options.metricsUrls && metricsBefore)
      step.serverSide = serverSideOf(metricsBefore, await scrape(options.metricsUrls));
    steps.push(step);
    options.log(
      `  ${options.transport} ${rate}/s: delivered ${step.deliveredPerS}/s, p50 ${step.latencyMs.p50} ms, p99 ${step.latencyMs.p99} ms, lost ${step.lost}` +
        (step.persisted === undefined ? '' : `, persisted ${step.persisted}/${step.acked}`) +
        (step.serverSide
          ? ` | server: ${step.serverSide.persisterBatches} batches of ${step.serverSide.meanBatchSize} in ${step.serverSide.meanBatchMs} ms, accepted→push ${step.serverSide.meanAcceptedToPushMs} ms, phases ${JSON.stringify(step.serverSide.meanPhaseMs)}`
          : ''),
    );
    if (step.latencyMs.p99 > P99_LIMIT_MS || step.lost > 0 || Object.keys(errors).length > 0) break;
  }
  await pool.each(() => ({ kind: 'close' }));
  const sustained = steps.filter(
    (s) => s.latencyMs.p99 <= P99_LIMIT_MS && s.lost === 0 && Object.keys(s.errors).length === 0,
  );
  return {
    transport: options.transport,
    pairs: options.pairs.length,
    steps,
    maxSustainedPerS: Math.max(0, ...sustained.map((s) => s.deliveredPerS)),
  };
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}
