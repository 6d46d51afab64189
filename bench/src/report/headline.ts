import { type EndToEndReport, failureOf, type StepReport } from '../scenarios/end-to-end.js';
import { FANOUT_P99_TARGET_MS } from '../scenarios/fanout.js';
import { round } from '../stats.js';
import type { BenchResults } from './results.js';

export interface Target {
  target: string;
  measured: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

export interface Headline {
  composedPerS?: number;
  drainComposedPerS?: number;
  /** Every headline figure as a ratio to what bounds it. */
  ratios: Array<{ figure: string; value: number | null; how: string }>;
  targets: Target[];
}

const SUSTAINED_SHARE = 0.6;
const DRAIN_SHARE = 0.6;
const TARGET_RATE = 200;
const RSS_PER_CONNECTION_KIB = 6;

/** The issue's targets against this run's figures, each with the ratio it is judged by. */
export function headlineOf(r: BenchResults): Headline {
  const targets: Target[] = [];
  const ratios: Headline['ratios'] = [];
  const composed = r.baselines?.composedPerS;
  const drainComposed = r.baselines?.drainComposedPerS;
  const ofComposed = (perS: number) => (composed ? round(perS / composed, 3) : null);

  const chatRuns = [r.e2e, r.e2eFew, r.e2eMixed].filter((run): run is EndToEndReport => run !== undefined);
  const lostOrDuplicated = chatRuns.reduce(
    (n, run) => n + allSteps(run).reduce((m, s) => m + s.lost + s.duplicates, 0),
    0,
  );
  const notOnce = chatRuns.reduce(
    (n, run) => n + allSteps(run).filter((s) => s.persisted !== undefined && s.persisted !== s.acked).length,
    0,
  );
  const exactlyOnce = lostOrDuplicated === 0 && notOnce === 0;

  for (const run of chatRuns) {
    ratios.push({
      figure: `max sustained end to end, ${run.conversations} conversations${run.mixedShare ? `, ${run.mixedShare * 100}% other kinds` : ''} ÷ composed limit`,
      value: ofComposed(run.maxSustainedPerS),
      how: `${run.maxSustainedPerS}/s ÷ ${composed ?? '?'}/s`,
    });
  }
  const e2e = r.e2e;
  if (e2e) {
    const ratio = ofComposed(e2e.maxSustainedPerS);
    targets.push({
      target: `sustained end to end over ${e2e.conversations} conversations ≥ ${SUSTAINED_SHARE} of the composed limit, 0 lost, 0 duplicated, each acked message persisted once`,
      measured: `${e2e.maxSustainedPerS}/s ÷ ${composed ?? '?'}/s = ${ratio ?? '?'}; ${exactlyOnce ? 'exactly once' : 'NOT exactly once'}`,
      met: ratio === null ? null : ratio >= SUSTAINED_SHARE && exactlyOnce,
    });
    const at200 = e2e.steps.find((s) => s.offeredPerS === TARGET_RATE);
    targets.push({
      target: `p50 ≤ 15 ms and p99 ≤ 50 ms at ${TARGET_RATE} msg/s (${e2e.conversations} conversations)`,
      measured: at200
        ? `p50 ${at200.latencyMs.p50} ms, p99 ${at200.latencyMs.p99} ms`
        : `no step at ${TARGET_RATE}/s (stopped by ${e2e.stoppedBy})`,
      met: at200 ? at200.latencyMs.p50 <= 15 && at200.latencyMs.p99 <= 50 && at200.lost === 0 : false,
    });
    targets.push({
      target: 'p99 ≤ 100 ms at half the max rate',
      measured: e2e.halfMax
        ? `p99 ${e2e.halfMax.latencyMs.p99} ms at ${e2e.halfMax.offeredPerS}/s offered (max ${e2e.maxSustainedPerS}/s)`
        : 'no sustained rate',
      met: e2e.halfMax ? e2e.halfMax.latencyMs.p99 <= 100 && e2e.halfMax.lost === 0 : false,
    });
  }
  if (chatRuns.length > 0) {
    targets.push({
      target: 'every end-to-end step: 0 lost, 0 duplicated, persisted = acked',
      measured: `${lostOrDuplicated} lost or duplicated; ${notOnce} steps where persisted ≠ acked (${chatRuns.reduce((n, run) => n + allSteps(run).length, 0)} steps)`,
      met: exactlyOnce,
    });
  }
  if (r.drain) {
    const ratio = drainComposed ? round(r.drain.drainPerS / drainComposed, 3) : null;
    ratios.push({
      figure: 'drain ÷ its composed limit (backlog consume, insert, outbound publish)',
      value: ratio,
      how: `${r.drain.drainPerS}/s ÷ ${drainComposed ?? '?'}/s`,
    });
    targets.push({
      target: `drain of ${r.drain.messages} queued messages over ${r.drain.conversations} conversations ≥ ${DRAIN_SHARE} of its composed limit`,
      measured: `${r.drain.drainPerS}/s ÷ ${drainComposed ?? '?'}/s = ${ratio ?? '?'}${r.drain.complete ? '' : ` (incomplete: ${r.drain.persisted} written before the time limit)`}`,
      met: ratio === null ? null : ratio >= DRAIN_SHARE && r.drain.complete,
    });
  }
  if (r.fanout) {
    const runs = r.fanout.runs;
    const good = runs.filter((run) => run.lastMemberMs.p99 <= FANOUT_P99_TARGET_MS && run.missing === 0).length;
    targets.push({
      target: `${r.fanout.members}-member fanout p99 ≤ ${FANOUT_P99_TARGET_MS} ms to the last member in ${runs.length} of ${runs.length} runs`,
      measured: `${good} of ${runs.length}: p99 ${runs.map((run) => run.lastMemberMs.p99).join(', ')} ms; ${runs.reduce((n, run) => n + run.missing, 0)} missing`,
      met: good === runs.length,
    });
    const peerRuns = r.peer?.fanout?.runs ?? [];
    if (peerRuns.length > 0)
      ratios.push({
        figure: 'fanout p99 ÷ Socket.IO peer’s (worst run of each)',
        value: round(worst(runs) / Math.max(0.01, worst(peerRuns)), 2),
        how: `${worst(runs)} ms ÷ ${worst(peerRuns)} ms`,
      });
  }
  if (r.connections) {
    targets.push({
      target: `≤ ${RSS_PER_CONNECTION_KIB} KiB RSS per idle authenticated connection at ${r.connections.connections}`,
      measured: `${r.connections.rssPerConnectionKiB} KiB (heap ${r.connections.heapPerConnectionKiB} KiB)`,
      met: r.connections.rssPerConnectionKiB <= RSS_PER_CONNECTION_KIB,
    });
  }
  if (r.e2eMixed && e2e) {
    // Compared on the offered rate of frames: in the mixed run a tenth of them are not new messages, so fewer pushes are delivered.
    const mixedOffered = maxSustainedOffered(r.e2eMixed);
    const plainOffered = maxSustainedOffered(e2e);
    const ratio = ofComposed(mixedOffered);
    targets.push({
      target: `the same rates with ${r.e2eMixed.mixedShare * 100}% edits, reactions and deletes mixed in`,
      measured: `${mixedOffered} frames/s sustained mixed against ${plainOffered}/s plain; ÷ composed = ${ratio ?? '?'}`,
      met: ratio === null ? null : ratio >= SUSTAINED_SHARE && mixedOffered >= plainOffered,
    });
  } else if (e2e) {
    targets.push({
      target: 'the same rates with 10% edits, reactions and deletes mixed in',
      measured: 'not measured: `--mixed-kinds` is off by default',
      met: null,
    });
  }
  const peer = r.peer?.e2e;
  if (peer) {
    ratios.push({
      figure: `Socket.IO peer's max sustained ÷ composed limit (it persists nothing; as is)`,
      value: ofComposed(peer.maxSustainedPerS),
      how: `${peer.maxSustainedPerS}/s ÷ ${composed ?? '?'}/s; stopped by ${peer.stoppedBy}`,
    });
    if (e2e && peer.maxSustainedPerS > 0)
      ratios.push({
        figure: `max sustained end to end ÷ Socket.IO peer's (${e2e.conversations} conversations each)`,
        value: round(e2e.maxSustainedPerS / peer.maxSustainedPerS, 3),
        how: `${e2e.maxSustainedPerS}/s ÷ ${peer.maxSustainedPerS}/s`,
      });
  }
  return {
    ...(composed ? { composedPerS: composed } : {}),
    ...(drainComposed ? { drainComposedPerS: drainComposed } : {}),
    ratios,
    targets,
  };
}

/** The ladder's steps and the half-max step. */
export function allSteps(run: EndToEndReport): StepReport[] {
  return run.halfMax ? [...run.steps, run.halfMax] : run.steps;
}

/** The highest offered rate of a step that held (p99 ≤ 250 ms, nothing lost). */
function maxSustainedOffered(run: EndToEndReport): number {
  return Math.max(0, ...run.steps.filter((step) => !failureOf(step)).map((step) => step.offeredPerS));
}

function worst(runs: ReadonlyArray<{ lastMemberMs: { p99: number } }>): number {
  return Math.max(...runs.map((run) => run.lastMemberMs.p99));
}
