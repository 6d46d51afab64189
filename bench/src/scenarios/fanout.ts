import type { CpuCost, CpuMeter } from '../cost/cpu-meter.js';
import type { LoadPool } from '../load/pool.js';
import type { FanoutResult, Transport } from '../load/protocol.js';
import { type LatencySummary, summarize } from '../stats.js';

export interface FanoutRun {
  lastMemberMs: LatencySummary;
  firstMemberMs: LatencySummary;
  missing: number;
  /** CPU per delivered push (one member receiving one message). */
  cpu?: CpuCost;
}

export interface FanoutReport {
  transport: Transport;
  members: number;
  messages: number;
  /** Several runs in a row over the same connections: the p99 of one run swings with contention. */
  runs: FanoutRun[];
}

export const FANOUT_P99_TARGET_MS = 50;

/**
 * One group, its members spread over both nodes (all in one load thread, one clock); one member
 * sends a message at a time; for each, the time until the last member has it. Repeated `runs`
 * times over the same connections, each run reported on its own. One unmeasured message first,
 * as the end-to-end runs warm each conversation: the group's first message reads its members
 * and log head on every node (80 ms where the others took 15-50, which alone was a run's p99).
 */
export async function fanout(options: {
  pool: LoadPool;
  transport: Transport;
  urls: [string, string];
  conversationId: string;
  tokens: string[];
  messages: number;
  runs: number;
  meter?: CpuMeter;
  log: (line: string) => void;
}): Promise<FanoutReport> {
  const [senderToken, ...memberTokens] = options.tokens;
  // The sender is a member too and receives its own message: every one of the N members counts.
  const members = [senderToken, ...memberTokens].map((token, index) => ({ token: token ?? '', url: index % 2 }));
  await options.pool.each((index) =>
    index === 0
      ? {
          kind: 'setup-fanout',
          transport: options.transport,
          urls: options.urls,
          conversationId: options.conversationId,
          members,
          sender: { token: senderToken ?? '', url: 0 },
        }
      : undefined,
  );
  const fanoutOf = async (messages: number) => {
    const [result] = await options.pool.each<FanoutResult>((index) =>
      index === 0 ? { kind: 'fanout', messages, intervalMs: 50, graceMs: 5_000 } : undefined,
    );
    if (!result) throw new Error('no fanout result');
    return result;
  };
  await fanoutOf(1);
  const runs: FanoutRun[] = [];
  for (let run = 0; run < options.runs; run += 1) {
    const send = () => fanoutOf(options.messages);
    const pushes = (result: FanoutResult) => options.messages * members.length - result.missing;
    const measured = options.meter ? await options.meter.measure(send, pushes) : { result: await send() };
    const { result } = measured;
    const report: FanoutRun = {
      lastMemberMs: summarize(result.lastMemberMs),
      firstMemberMs: summarize(result.firstMemberMs),
      missing: result.missing,
      ...('cpu' in measured && measured.cpu ? { cpu: measured.cpu } : {}),
    };
    runs.push(report);
    options.log(
      `  ${options.transport} fanout to ${members.length}, run ${run + 1}/${options.runs}: last member p50 ${report.lastMemberMs.p50} ms, p99 ${report.lastMemberMs.p99} ms, missing ${report.missing}`,
    );
  }
  await options.pool.each(() => ({ kind: 'close' }));
  return { transport: options.transport, members: members.length, messages: options.messages, runs };
}
