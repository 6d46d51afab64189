import { parseArgs } from 'node:util';

export const SCENARIOS = ['baselines', 'e2e', 'fanout', 'connections', 'drain', 'peer'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  quick: boolean;
  only: Set<ScenarioName>;
  /** Write docs/benchmarks.md (always for a full run of every scenario; otherwise with --write-docs). */
  writeDocs: boolean;
  /** Load-generator worker threads. */
  workers: number;
  /** Run against these URLs instead of starting the system (e2e and fanout only). */
  target?: { authUrl: string; edgeUrls: [string, string] };
  /** Sizes, per mode. */
  pairs: number;
  stepRates: number[];
  stepMs: number;
  fanoutMembers: number;
  fanoutMessages: number;
  idleConnections: number;
  drainMessages: number;
  baselineMs: number;
}

const USAGE = `usage: npm run bench -- [--quick] [--only e2e,fanout,...] [--write-docs] [--workers N]
                       [--auth-url URL --edge-urls URL,URL]
  --quick        a smoke run, under a minute
  --only         some of: ${SCENARIOS.join(', ')}
  --auth-url, --edge-urls   measure a running system (e2e and fanout)`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'write-docs': { type: 'boolean', default: false },
      workers: { type: 'string' },
      'auth-url': { type: 'string' },
      'edge-urls': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const only = new Set<ScenarioName>(
    values.only ? (values.only.split(',').map((name) => name.trim()) as ScenarioName[]) : SCENARIOS,
  );
  for (const name of only) if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario ${name}\n${USAGE}`);
  const edgeUrls = values['edge-urls']?.split(',');
  const target =
    values['auth-url'] && edgeUrls?.length === 2
      ? { authUrl: values['auth-url'], edgeUrls: [edgeUrls[0] ?? '', edgeUrls[1] ?? ''] as [string, string] }
      : undefined;
  const quick = values.quick;
  const rates = process.env.BENCH_RATES?.split(',').map(Number);
  return {
    quick,
    only,
    // Only a complete full run replaces the published figures.
    writeDocs: values['write-docs'] || (!quick && !values.only),
    workers: Number(values.workers ?? 2),
    ...(target ? { target } : {}),
    pairs: quick ? 20 : 50,
    stepRates: rates ?? (quick ? [200, 800] : [125, 250, 500, 1_000, 1_500, 2_000, 3_000, 4_000, 6_000]),
    stepMs: Number(process.env.BENCH_STEP_MS ?? (quick ? 2_500 : 6_000)),
    fanoutMembers: 200,
    fanoutMessages: quick ? 20 : 100,
    idleConnections: quick ? 1_000 : 10_000,
    drainMessages: quick ? 10_000 : 100_000,
    baselineMs: quick ? 1_500 : 4_000,
  };
}
