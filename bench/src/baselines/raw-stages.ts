import type { CpuCost, CpuMeter } from '../cost/cpu-meter.js';
import type { LoadPool } from '../load/pool.js';
import { type BacklogReport, backlogConsume } from './backlog-consume.js';
import { composedLimit } from './composed-limit.js';
import { type HopReport, inboundHop } from './inbound-hop.js';
import { type InsertReport, logInsert } from './log-insert.js';
import { outboundHop } from './outbound-hop.js';
import { websocketBaseline } from './websocket-baseline.js';

export interface RawStages {
  inbound: HopReport;
  outbound: HopReport;
  insert: InsertReport;
  /** The drain's inbound stage: consume-only from a backlog. */
  backlog: BacklogReport;
  /** Not part of either composed limit (an edge's socket work is not a separate hop); shown for scale. */
  websocket: { ratePerS: number; server: string };
  /** 1 / (1/inbound + 1/outbound + 1/insert): the end-to-end ceiling. */
  composedPerS: number;
  /** 1 / (1/backlog consume + 1/insert + 1/outbound): the drain's ceiling. */
  drainComposedPerS: number;
  /** CPU per message of each stage measured alone: what a stage costs at best on these services. */
  cpu: Record<'inbound' | 'outbound' | 'insert' | 'backlog', CpuCost>;
}

/** Every raw stage, one after the other on the same services, each with its CPU cost per message. */
export async function rawStages(options: {
  amqpUrl: string;
  mongoUrl: string;
  mongoDb: string;
  durationMs: number;
  backlogMessages: number;
  pool: LoadPool;
  meter: CpuMeter;
  log: (line: string) => void;
}): Promise<RawStages> {
  const { meter, durationMs } = options;
  const through = (report: { messages: number }) => report.messages;
  const inbound = await meter.measure(() => inboundHop(options.amqpUrl, durationMs), through);
  const outbound = await meter.measure(() => outboundHop(options.amqpUrl, durationMs), through);
  const insert = await meter.measure(() => logInsert(options.mongoUrl, options.mongoDb, durationMs), through);
  // Publish and consume both fall in the measured window: its cost per message is a full queue-and-drain of one message.
  const backlog = await meter.measure(
    () => backlogConsume(options.amqpUrl, options.backlogMessages),
    (report) => report.messages,
  );
  const websocket = await websocketBaseline(options.pool, durationMs);
  const composedPerS = composedLimit([inbound.result.ratePerS, outbound.result.ratePerS, insert.result.ratePerS]);
  const drainComposedPerS = composedLimit([
    backlog.result.consumePerS,
    insert.result.ratePerS,
    outbound.result.ratePerS,
  ]);
  options.log(
    `  inbound ${inbound.result.ratePerS}/s, outbound ${outbound.result.ratePerS}/s, insert ${insert.result.ratePerS}/s → composed ${composedPerS}/s; backlog consume ${backlog.result.consumePerS}/s → drain composed ${drainComposedPerS}/s; websocket ${websocket.ratePerS}/s`,
  );
  return {
    inbound: inbound.result,
    outbound: outbound.result,
    insert: insert.result,
    backlog: backlog.result,
    websocket,
    composedPerS,
    drainComposedPerS,
    cpu: { inbound: inbound.cpu, outbound: outbound.cpu, insert: insert.cpu, backlog: backlog.cpu },
  };
}
