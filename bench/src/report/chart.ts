import { parse as parseVega, View } from 'vega';
import { compile } from 'vega-lite';
import type { BenchResults } from './results.js';

/** The latency-vs-rate chart of docs/benchmarks-latency.svg: every end-to-end run, p50 and p99. */
export async function chartOf(r: BenchResults): Promise<string> {
  const runs = [r.e2e, r.e2eFew, r.e2eMixed, r.peer?.e2e].filter((run) => run !== undefined);
  const values = runs.flatMap((run) =>
    run.steps.flatMap((step) =>
      (['p50', 'p99'] as const).map((percentile) => ({
        system: `${run.transport === 'chat' ? 'chat-pipeline' : 'Socket.IO peer'}, ${run.conversations} conversations${run.mixedShare ? ', mixed kinds' : ''}`,
        percentile,
        delivered: Math.max(1, step.deliveredPerS),
        ms: Math.max(0.1, step.latencyMs[percentile]),
      })),
    ),
  );
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Latency vs delivered rate, send → push (${r.machine.cores} cores, ${r.startedAt.slice(0, 10)})`,
    width: 560,
    height: 320,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'delivered', type: 'quantitative', title: 'delivered messages per second', scale: { type: 'log' } },
      y: { field: 'ms', type: 'quantitative', title: 'latency (ms, log scale)', scale: { type: 'log' } },
      color: { field: 'system', type: 'nominal', title: null },
      strokeDash: { field: 'percentile', type: 'nominal', title: null },
    },
  };
  const view = new View(parseVega(compile(spec as never).spec), { renderer: 'none' });
  return view.toSVG();
}
