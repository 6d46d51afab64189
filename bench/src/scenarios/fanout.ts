import type { LoadPool } from '../load/pool.js';
import type { FanoutResult, Transport } from '../load/protocol.js';
import { type LatencySummary, summarize } from '../stats.js';

export interface FanoutReport {
  transport: Transport;
  members: number;
  messages: number;
  lastMemberMs: LatencySummary;
  firstMemberMs: LatencySummary;
  missing: number;
}

/**
 * One group, its members spread over both nodes (all in one load thread, one clock); one member
 * sends a message at a time; for each, the time until the last member has it.
 */
export async function fanout(options: {
  pool: LoadPool;
  transport: Transport;
  urls: [string, string];
  conversationId: string;
  tokens: string[];
  messages: number;
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
  const [result] = await options.pool.each<FanoutResult>((index) =>
    index === 0 ? { kind: 'fanout', messages: options.messages, intervalMs: 50, graceMs: 5_000 } : undefined,
  );
  await options.pool.each(() => ({ kind: 'close' }));
  if (!result) throw new Error('no fanout result');
  const report: FanoutReport = {
    transport: options.transport,
    members: members.length,
    messages: options.messages,
    lastMemberMs: summarize(result.lastMemberMs),
    firstMemberMs: summarize(result.firstMemberMs),
    missing: result.missing,
  };
  options.log(
    `  ${options.transport} fanout to ${report.members}: last member p50 ${report.lastMemberMs.p50} ms, p99 ${report.lastMemberMs.p99} ms, missing ${report.missing}`,
  );
  return report;
}
