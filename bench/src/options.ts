import { parseArgs } from 'node:util';
import { ladderFrom } from './scenarios/ladder.js';

export const SCENARIOS = ['baselines', 'e2e', 'e2e-few', 'fanout', 'peer', 'connections', 'history', 'drain'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** The share of edits, deletes and reactions `--mixed-kinds` mixes into the sends. */
export const MIXED_SHARE = 0.1;

export interface BenchOptions {
  quick: boolean;
  only: Set<ScenarioName>;
  /** Write docs/benchmarks.md (always for a full run of every scenario; otherwise with --write-docs). */
  writeDocs: boolean;
  /** Load-generator worker threads. */
  workers: number;
  /** Run against these URLs instead of starting the system (e2e and fanout only). */
  target?: { authUrl: string; edgeUrls: [string, string] };
  /** Conversations of the main end-to-end run, and of the run that shows the other end. */
  conversations: number;
  fewConversations: number;
  /** Offered rates of the pipeline's steps, and of the peer's (which starts higher: low rates tell nothing about it). */
  rates: number[];
  peerRates: number[];
  stepMs: number;
  /**
   * 0 by default. With --mixed-kinds, a third end-to-end run over the many conversations mixes
   * this share of message.edit, message.delete, reaction.add and reaction.remove into the sends.
   */
  mixedShare: number;
  fanoutMembers: number;
  fanoutMessages: number;
  fanoutRuns: number;
  idleConnections: number;
  drainMessages: number;
  /** Entries of the long conversation the history reads are timed in (against one of 100). */
  historyEntries: number;
  /** The drain is reported as incomplete past this (keeps a slow drain from running for many minutes). */
  maxDrainMs: number;
  baselineMs: number;
  /** Messages queued for the backlog-consume stage (the drain's inbound ceiling). */
  backlogMessages: number;
}

const USAGE = `usage: npm run bench -- [--quick] [--only e2e,fanout,...] [--write-docs] [--workers N]
                       [--mixed-kinds] [--auth-url URL --edge-urls URL,URL]
  --quick        a smoke run, about two minutes
  --only         some of: ${SCENARIOS.join(', ')}
  --mixed-kinds  also an end-to-end run with ${MIXED_SHARE * 100}% edits, deletes and reactions (off by default)
  --auth-url, --edge-urls   measure a running system (e2e, e2e-few and fanout)
  env BENCH_RATES=50,100 and BENCH_STEP_MS=6000 override the ladder and the step length`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'write-docs': { type: 'boolean', default: false },
      workers: { type: 'string' },
      'mixed-kinds': { type: 'boolean', default: false },
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
    conversations: quick ? 100 : 1_000,
    fewConversations: 20,
    // The quick run keeps the ladder's shape (it still stops at a failure) but only its first rungs.
    rates: rates ?? (quick ? [100, 200] : ladderFrom(50)),
    peerRates: rates ?? (quick ? [1_000, 4_000] : ladderFrom(500)),
    stepMs: Number(process.env.BENCH_STEP_MS ?? (quick ? 2_500 : 6_000)),
    mixedShare: values['mixed-kinds'] ? MIXED_SHARE : 0,
    fanoutMembers: 200,
    fanoutMessages: quick ? 20 : 100,
    fanoutRuns: 3,
    idleConnections: quick ? 1_000 : 10_000,
    drainMessages: quick ? 10_000 : 100_000,
    historyEntries: quick ? 2_000 : 10_000,
    maxDrainMs: quick ? 60_000 : 300_000,
    baselineMs: quick ? 1_500 : 4_000,
    backlogMessages: quick ? 5_000 : 20_000,
  };
}
