import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseVega, View } from 'vega';
import { compile } from 'vega-lite';
import type { MachineFacts } from './machine.js';
import type { ConnectionsReport } from './scenarios/connections.js';
import type { DrainReport } from './scenarios/drain.js';
import type { EndToEndReport } from './scenarios/end-to-end.js';
import type { FanoutReport } from './scenarios/fanout.js';
import { round } from './stats.js';

export interface BenchResults {
  runId: string;
  startedAt: string;
  mode: 'quick' | 'full';
  durationS?: number;
  machine: MachineFacts;
  baselines?: {
    broker: { ratePerS: number; messageBytes: number; queue: string };
    websocket: { ratePerS: number; server: string };
    database: { ratePerS: number; batch: number; concurrentBatches: number };
  };
  e2e?: EndToEndReport;
  fanout?: FanoutReport;
  connections?: ConnectionsReport;
  drain?: DrainReport;
  peer?: { e2e?: EndToEndReport; fanout?: FanoutReport };
  headline?: Headline;
}

export interface Headline {
  slowestRawStage?: { stage: string; ratePerS: number };
  sustainedOverSlowestRaw?: number;
  p99AtHalfMaxMs?: number;
  drainOverRawInsert?: number;
  fanoutP99Ms?: number;
  rssPerConnectionKiB?: number;
  sustainedOverPeer?: number;
  fanoutP99OverPeer?: number;
  targets: Array<{ target: string; measured: string; met: boolean | null }>;
}

/** The headline figures, each as a ratio to what bounds it, and the targets of issue 5 against them. */
export function headlineOf(results: BenchResults): Headline {
  const targets: Headline['targets'] = [];
  const headline: Headline = { targets };
  const b = results.baselines;
  if (b) {
    const stages = [
      { stage: 'broker', ratePerS: b.broker.ratePerS },
      { stage: 'websocket', ratePerS: b.websocket.ratePerS },
      { stage: 'database', ratePerS: b.database.ratePerS },
    ].sort((x, y) => x.ratePerS - y.ratePerS);
    headline.slowestRawStage = stages[0];
  }
  const e2e = results.e2e;
  if (e2e && headline.slowestRawStage) {
    headline.sustainedOverSlowestRaw = round(e2e.maxSustainedPerS / headline.slowestRawStage.ratePerS, 3);
    targets.push({
      target: 'sustained end-to-end ≥ 50% of the slowest raw stage',
      measured: `${e2e.maxSustainedPerS}/s ÷ ${headline.slowestRawStage.ratePerS}/s (${headline.slowestRawStage.stage}) = ${headline.sustainedOverSlowestRaw}`,
      met: headline.sustainedOverSlowestRaw >= 0.5,
    });
  }
  if (e2e) {
    const half = e2e.maxSustainedPerS / 2;
    const near = [...e2e.steps]
      .filter((s) => s.deliveredPerS <= half * 1.25)
      .sort((x, y) => y.deliveredPerS - x.deliveredPerS)[0];
    if (near) {
      headline.p99AtHalfMaxMs = near.latencyMs.p99;
      targets.push({
        target: 'p99 ≤ 100 ms at half the max rate',
        measured: `p99 ${near.latencyMs.p99} ms at ${near.deliveredPerS}/s`,
        met: near.latencyMs.p99 <= 100,
      });
    }
    const lost = e2e.steps.reduce((n, s) => n + s.lost + s.duplicates, 0);
    const unpersisted = e2e.steps.filter((s) => s.persisted !== undefined && s.persisted !== s.acked).length;
    targets.push({
      target: '0 messages lost or duplicated; each persisted exactly once',
      measured: `${lost} lost or duplicated; ${unpersisted} steps where persisted ≠ acked`,
      met: lost === 0 && unpersisted === 0,
    });
  }
  if (results.drain && b) {
    headline.drainOverRawInsert = round(results.drain.drainPerS / b.database.ratePerS, 3);
    targets.push({
      target: 'persister drain ≥ 70% of raw insertMany',
      measured: `${results.drain.drainPerS}/s ÷ ${b.database.ratePerS}/s = ${headline.drainOverRawInsert}`,
      met: headline.drainOverRawInsert >= 0.7,
    });
  }
  if (results.fanout) {
    headline.fanoutP99Ms = results.fanout.lastMemberMs.p99;
    targets.push({
      target: `${results.fanout.members}-member fanout p99 ≤ 50 ms to the last member`,
      measured: `p99 ${results.fanout.lastMemberMs.p99} ms, ${results.fanout.missing} missing`,
      met: results.fanout.lastMemberMs.p99 <= 50 && results.fanout.missing === 0,
    });
  }
  if (results.connections) {
    headline.rssPerConnectionKiB = results.connections.rssPerConnectionKiB;
    targets.push({
      target: `≤ 10 KB RSS per idle connection at ${results.connections.connections}`,
      measured: `${results.connections.rssPerConnectionKiB} KiB`,
      met: results.connections.rssPerConnectionKiB <= 10,
    });
  }
  const peer = results.peer;
  if (peer?.e2e && e2e && peer.e2e.maxSustainedPerS > 0)
    headline.sustainedOverPeer = round(e2e.maxSustainedPerS / peer.e2e.maxSustainedPerS, 3);
  if (peer?.fanout && results.fanout && peer.fanout.lastMemberMs.p99 > 0) {
    headline.fanoutP99OverPeer = round(results.fanout.lastMemberMs.p99 / peer.fanout.lastMemberMs.p99, 2);
  }
  return headline;
}

/** Writes bench/results/<runId>.json; and the summary and chart into docs/ when asked. */
export async function writeReport(results: BenchResults, repoRoot: string, writeDocs: boolean): Promise<string[]> {
  const written: string[] = [];
  const resultsDir = join(repoRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonPath = join(resultsDir, `${results.startedAt.replace(/[:.]/g, '-')}-${results.mode}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  written.push(jsonPath);
  const summary = markdownOf(results);
  if (!writeDocs) {
    const mdPath = jsonPath.replace(/\.json$/, '.md');
    writeFileSync(mdPath, summary);
    written.push(mdPath);
    return written;
  }
  const svgPath = join(repoRoot, 'docs', 'benchmarks-latency.svg');
  writeFileSync(svgPath, await chartOf(results));
  written.push(svgPath);
  const docPath = join(repoRoot, 'docs', 'benchmarks.md');
  let doc: string;
  try {
    doc = readFileSync(docPath, 'utf8');
  } catch {
    doc = '# Benchmarks\n\n<!-- bench:begin -->\n<!-- bench:end -->\n';
  }
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const before = doc.slice(0, doc.indexOf(begin) + begin.length);
  const after = doc.slice(doc.indexOf(end));
  writeFileSync(docPath, `${before}\n${summary}\n${after}`);
  written.push(docPath);
  return written;
}

function markdownOf(r: BenchResults): string {
  const lines: string[] = [];
  const m = r.machine;
  lines.push(
    `_Generated by \`npm run bench\` (${r.mode}) on ${r.startedAt}, run ${r.runId}, in ${r.durationS ?? '?'} s. Raw figures: \`bench/results/\`._`,
    '',
  );
  lines.push('| machine | |', '|---|---|');
  lines.push(`| CPU | ${m.cores} × ${m.cpuModel} |`, `| memory | ${m.memoryGiB} GiB |`, `| Node.js | ${m.node} |`);
  lines.push(
    `| RabbitMQ | ${m.rabbitmq} (Erlang ${m.erlang}) |`,
    `| Redis | ${m.redis} |`,
    `| database | ${m.database} on ${m.databaseBackend} |`,
  );
  lines.push(
    '',
    'Everything ran on this one machine at once: the services, seven app processes, and the load generator.',
    '',
  );
  const h = r.headline;
  if (h) {
    lines.push('### Targets', '', '| target | measured | met |', '|---|---|---|');
    for (const t of h.targets)
      lines.push(`| ${t.target} | ${t.measured} | ${t.met === null ? '–' : t.met ? 'yes' : '**no**'} |`);
    lines.push('');
  }
  if (r.baselines) {
    const b = r.baselines;
    lines.push(
      '### Raw stages (measured in the same run, same services)',
      '',
      '| stage | raw limit | how |',
      '|---|---|---|',
    );
    lines.push(`| broker | ${b.broker.ratePerS} msg/s | ${b.broker.queue}, ${b.broker.messageBytes}-byte messages |`);
    lines.push(`| WebSocket | ${b.websocket.ratePerS} msg/s | ${b.websocket.server} |`);
    lines.push(
      `| database | ${b.database.ratePerS} docs/s | insertMany, ${b.database.batch} per batch, ${b.database.concurrentBatches} batches in flight, same indexes |`,
    );
    lines.push('');
  }
  const stepTable = (report: EndToEndReport) => {
    lines.push(
      `| offered/s | delivered/s | p50 ms | p95 ms | p99 ms | max ms | lost | dup | persisted/acked |`,
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const s of report.steps) {
      lines.push(
        `| ${s.offeredPerS} | ${s.deliveredPerS} | ${s.latencyMs.p50} | ${s.latencyMs.p95} | ${s.latencyMs.p99} | ${s.latencyMs.max} | ${s.lost} | ${s.duplicates} | ${s.persisted === undefined ? '–' : `${s.persisted}/${s.acked}`} |`,
      );
    }
    lines.push('', `Max sustained (p99 ≤ 250 ms, nothing lost): **${report.maxSustainedPerS} msg/s**.`, '');
  };
  if (r.e2e) {
    lines.push(
      `### End to end (${r.e2e.pairs} pairs, senders on edge 1, receivers on edge 2; send → recipient's push)`,
      '',
    );
    stepTable(r.e2e);
  }
  if (r.peer?.e2e) {
    lines.push(
      `### Peer: Socket.IO + Redis adapter, same scenario (no persistence, no retry, no history, no auth)`,
      '',
    );
    stepTable(r.peer.e2e);
  }
  lines.push('![latency vs delivered rate](benchmarks-latency.svg)', '');
  const fanoutRow = (f: FanoutReport) =>
    `| ${f.transport} | ${f.members} | ${f.messages} | ${f.lastMemberMs.p50} | ${f.lastMemberMs.p95} | ${f.lastMemberMs.p99} | ${f.lastMemberMs.max} | ${f.firstMemberMs.p50} | ${f.missing} |`;
  if (r.fanout || r.peer?.fanout) {
    lines.push('### Group fanout (members on both nodes; until the last member has it)', '');
    lines.push(
      '| system | members | messages | last p50 ms | last p95 ms | last p99 ms | last max ms | first p50 ms | missing |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    if (r.fanout) lines.push(fanoutRow(r.fanout));
    if (r.peer?.fanout) lines.push(fanoutRow(r.peer.fanout));
    lines.push('');
  }
  if (r.connections) {
    const c = r.connections;
    lines.push(
      '### Idle connections on one edge node',
      '',
      `| connections | failed | connect/s | RSS before | RSS after | RSS per connection | heap per connection | idle CPU (ping every ${c.pingIntervalMs / 1000} s) |`,
      '|---|---|---|---|---|---|---|---|',
      `| ${c.connections} | ${c.failed} | ${c.connectPerS} | ${c.rssBeforeMiB} MiB | ${c.rssAfterMiB} MiB | ${c.rssPerConnectionKiB} KiB | ${c.heapPerConnectionKiB} KiB | ${c.idleCpuPercent}% |`,
      '',
    );
  }
  if (r.drain) {
    const d = r.drain;
    lines.push(
      '### Drain (queued while the persisters were stopped)',
      '',
      '| messages | conversations | queued at | drained at | drain time |',
      '|---|---|---|---|---|',
    );
    lines.push(
      `| ${d.messages} | ${d.conversations} | ${d.publishPerS}/s | ${d.drainPerS}/s | ${d.drainSeconds} s |`,
      '',
    );
  }
  if (h) {
    lines.push('### Ratios', '', '| figure | value |', '|---|---|');
    if (h.slowestRawStage)
      lines.push(`| slowest raw stage | ${h.slowestRawStage.stage} (${h.slowestRawStage.ratePerS}/s) |`);
    if (h.sustainedOverSlowestRaw !== undefined)
      lines.push(`| max sustained end-to-end ÷ slowest raw stage | ${h.sustainedOverSlowestRaw} |`);
    if (h.drainOverRawInsert !== undefined)
      lines.push(`| persister drain ÷ raw insertMany | ${h.drainOverRawInsert} |`);
    if (h.sustainedOverPeer !== undefined)
      lines.push(`| max sustained end-to-end ÷ Socket.IO peer's | ${h.sustainedOverPeer} |`);
    if (h.fanoutP99OverPeer !== undefined) lines.push(`| fanout p99 ÷ Socket.IO peer's | ${h.fanoutP99OverPeer} |`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

async function chartOf(r: BenchResults): Promise<string> {
  const values = [r.e2e, r.peer?.e2e].flatMap((report) =>
    (report?.steps ?? []).flatMap((step) =>
      (['p50', 'p99'] as const).map((percentile) => ({
        system: report?.transport === 'chat' ? 'chat-pipeline' : 'Socket.IO peer',
        percentile,
        delivered: step.deliveredPerS,
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
      x: { field: 'delivered', type: 'quantitative', title: 'delivered messages per second' },
      y: { field: 'ms', type: 'quantitative', title: 'latency (ms, log scale)', scale: { type: 'log' } },
      color: { field: 'system', type: 'nominal', title: null },
      strokeDash: { field: 'percentile', type: 'nominal', title: null },
    },
  };
  const view = new View(parseVega(compile(spec as never).spec), { renderer: 'none' });
  return view.toSVG();
}
