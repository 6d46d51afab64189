import type { RawStages } from '../baselines/raw-stages.js';
import type { CpuCost } from '../cost/cpu-meter.js';
import type { MachineFacts } from '../machine.js';
import type { ConnectionsReport } from '../scenarios/connections.js';
import type { DrainReport } from '../scenarios/drain.js';
import type { EndToEndReport } from '../scenarios/end-to-end.js';
import type { FanoutReport } from '../scenarios/fanout.js';
import type { HistoryReport } from '../scenarios/history.js';
import type { Headline } from './headline.js';

/** Everything one run measured: what bench/results/<time>-<mode>.json holds. */
export interface BenchResults {
  runId: string;
  startedAt: string;
  mode: 'quick' | 'full';
  durationS?: number;
  machine: MachineFacts;
  baselines?: RawStages;
  /** Every process's share of a core with the system up and no load: what the per-message figures sit on. */
  idleCpu?: CpuCost;
  /** Over many conversations (1,000 in a full run): the headline. */
  e2e?: EndToEndReport;
  /** Over 20 conversations: the other end. */
  e2eFew?: EndToEndReport;
  /** Over many conversations with edits, deletes and reactions mixed in (only with --mixed-kinds). */
  e2eMixed?: EndToEndReport;
  fanout?: FanoutReport;
  connections?: ConnectionsReport;
  history?: HistoryReport;
  drain?: DrainReport;
  peer?: { e2e?: EndToEndReport; fanout?: FanoutReport };
  headline?: Headline;
}
