import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Collection, Document } from 'mongodb';
import { REPO_ROOT } from './app-process.js';
import { LOAD } from './fault-scale.js';
import type { MessageStream, ResilientClient } from './message-stream.js';
import { RUN_ID } from './test-environment.js';

/** One row of docs/reliability.md: what a fault scenario held, did, and counted. */
export interface ScenarioRow {
  scenario: string;
  load: string;
  fault: string;
  /** The counts; null where a scenario moves no messages (presence only). */
  acked: number | null;
  unavailable: number | null;
  persisted: number | null;
  delivered: number | null;
  lost: number | null;
  duplicated: number | null;
  recoveryMs: number | null;
}

/** How long acked messages may take to be stored after the stream stops (covers a retry rung). */
const STORE_WAIT_MS = 60_000;

export const RESULTS_DIR = join(REPO_ROOT, '.run', 'reliability');

/** One row of the hostile-input table: what a fuzzing run sent, and how the server answered. */
export interface HostileInputRow {
  surface: string;
  inputs: number;
  answered: number;
  closedByServer: number;
  heapDeltaBytes: number | null;
}

const RESULTS_FILE = join(RESULTS_DIR, `${RUN_ID}.jsonl`);

/** Appends a scenario's counts to this run's results (rendered by `npm run test:faults`). */
export function recordScenario(row: ScenarioRow): void {
  append({ kind: 'scenario', ...row });
}

/** Appends a fuzzing run's counts to this run's results. */
export function recordHostileInput(row: HostileInputRow): void {
  append({ kind: 'hostile', ...row });
}

function append(row: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  appendFileSync(RESULTS_FILE, `${JSON.stringify({ ...row, at: new Date().toISOString() })}\n`);
}

const BEGIN = '<!-- reliability:begin -->';
const END = '<!-- reliability:end -->';

/**
 * Rewrites the generated part of docs/reliability.md (between its markers) from this run's
 * rows; the hand-written text around it stays. Does nothing when no row was recorded.
 */
export function renderReliabilityReport(docPath: string, header: string): void {
  if (!existsSync(RESULTS_FILE)) return;
  const rows = readFileSync(RESULTS_FILE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const scenarios = rows.filter((row) => row.kind === 'scenario') as unknown as ScenarioRow[];
  const hostile = rows.filter((row) => row.kind === 'hostile') as unknown as HostileInputRow[];
  scenarios.sort((a, b) => a.scenario.localeCompare(b.scenario));
  const lines = [
    BEGIN,
    header,
    '',
    '| scenario | load held | fault injected | acked | `unavailable` (resent) | persisted | delivered | lost | duplicated | recovery |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...scenarios.map(
      (r) =>
        `| ${r.scenario} | ${r.load} | ${r.fault} | ${[r.acked, r.unavailable, r.persisted, r.delivered, r.lost, r.duplicated].map((n) => n ?? '—').join(' | ')} | ${r.recoveryMs === null ? '—' : `${(r.recoveryMs / 1000).toFixed(1)} s`} |`,
    ),
    '',
    '| hostile input | inputs tried | answered with ack/error | closed by the server (1007/1008/1009) | heap after GC vs before |',
    '|---|---|---|---|---|',
    ...hostile.map(
      (r) =>
        `| ${r.surface} | ${r.inputs} | ${r.answered} | ${r.closedByServer} | ${r.heapDeltaBytes === null ? '—' : `${(r.heapDeltaBytes / 2 ** 20).toFixed(1)} MiB`} |`,
    ),
    END,
  ];
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : `# Reliability\n\n${BEGIN}\n${END}\n`;
  const start = doc.indexOf(BEGIN);
  const stop = doc.indexOf(END);
  if (start < 0 || stop < start) throw new Error(`${docPath} has no ${BEGIN} … ${END} section`);
  writeFileSync(docPath, `${doc.slice(0, start)}${lines.join('\n')}${doc.slice(stop + END.length)}`);
}

/**
 * The count every fault scenario ends with: every acked message is stored exactly once with
 * gap-free seqs, nothing is stored that was not sent, and every receiver has every stored
 * message (by push, or fetched on resume) with no message pushed twice.
 */
export async function countEverything(options: {
  messages: Collection<Document>;
  stream: MessageStream;
  receivers: Array<{ client: ResilientClient; conversationId: string }>;
}): Promise<{ persisted: number; delivered: number; lost: number; duplicated: number }> {
  const conversationIds = [...new Set(options.receivers.map((r) => r.conversationId))];
  const ackedIds = new Set(options.stream.acked.values());
  const load = () =>
    options.messages.find({ conversationId: { $in: conversationIds } }, { batchSize: 100_000 }).toArray();
  // An ack means the broker has the message; the persister writes it moments (or a retry) later.
  let rows = await load();
  const deadline = Date.now() + STORE_WAIT_MS;
  while (rows.filter((row) => ackedIds.has(String(row._id))).length < ackedIds.size && Date.now() < deadline) {
    await sleep(250);
    rows = await load();
  }
  const storedIds = new Set(rows.map((row) => String(row._id)));
  const lost = [...ackedIds].filter((id) => !storedIds.has(id)).length;
  expect(lost, 'acked but not stored').to.equal(0);
  expect(rows.length, 'stored more than once').to.equal(storedIds.size);
  for (const conversationId of conversationIds) {
    const seqs = rows
      .filter((row) => row.conversationId === conversationId)
      .map((row) => Number(row.seq))
      .sort((a, b) => a - b);
    expect(seqs, `seqs of ${conversationId}`).to.deep.equal(Array.from({ length: seqs.length }, (_, i) => i + 1));
  }
  for (const row of rows) expect(ackedIds.has(String(row._id)), 'stored but never sent').to.equal(true);
  let delivered = 0;
  let duplicated = 0;
  for (const { client, conversationId } of options.receivers) {
    await client.resume([conversationId]);
    const expected = rows.filter((row) => row.conversationId === conversationId).map((row) => String(row._id));
    const seen = client.seen();
    const missing = expected.filter((id) => !seen.has(id));
    expect(missing, `not delivered to ${client.userId}`).to.deep.equal([]);
    delivered += expected.length;
    duplicated += client.pushed.length - new Set(client.pushed).size;
  }
  expect(duplicated, 'pushed twice').to.equal(0);
  return { persisted: rows.length, delivered, lost, duplicated };
}

/**
 * The end of every streaming fault scenario: counts everything (failing the test on any loss
 * or duplicate), records the row for docs/reliability.md, and closes the clients.
 */
export async function finishScenario(options: {
  scenario: string;
  fault: string;
  recoveryMs: number;
  messages: Collection<Document>;
  stream: MessageStream;
  pairs: Array<{ sender: ResilientClient; receiver: ResilientClient; conversationId: string }>;
}): Promise<ScenarioRow> {
  const { stream, pairs } = options;
  const counts = await countEverything({
    messages: options.messages,
    stream,
    receivers: pairs.map((pair) => ({ client: pair.receiver, conversationId: pair.conversationId })),
  });
  const row: ScenarioRow = {
    scenario: options.scenario,
    load: LOAD,
    fault: options.fault,
    acked: stream.acked.size,
    // A send the dying node never answered was resent just like one answered `unavailable`.
    unavailable: stream.failures.unavailable + stream.failures.unanswered,
    ...counts,
    recoveryMs: options.recoveryMs,
  };
  recordScenario(row);
  for (const pair of pairs) {
    pair.sender.close();
    pair.receiver.close();
  }
  return row;
}
