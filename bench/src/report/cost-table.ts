import type { CpuCost } from '../cost/cpu-meter.js';

/** Rows below this in every column are left out: idle processes (auth during messaging) are noise. */
const SHOWN_FROM_US = 1;

/**
 * A cost table: one row per process, one column per measured window, CPU microseconds per
 * message in each cell, then the rows' sum, the whole machine and what no row explains.
 */
export function costTable(
  columns: ReadonlyArray<{ label: string; cost: CpuCost | undefined; percentOnly?: boolean }>,
): string[] {
  const present = columns.filter(
    (column): column is { label: string; cost: CpuCost; percentOnly?: boolean } => column.cost !== undefined,
  );
  if (present.length === 0) return [];
  const names = [...new Set(present.flatMap((column) => Object.keys(column.cost.usPerMessage)))];
  const shown = names.filter((name) =>
    present.some((column) => !column.percentOnly && (column.cost.usPerMessage[name] ?? 0) >= SHOWN_FROM_US),
  );
  const lines = [
    `| process | ${present.map((column) => column.label).join(' | ')} |`,
    `|---|${present.map(() => '---').join('|')}|`,
  ];
  // An idle window has no messages: only its shares of a core mean anything.
  const row = (label: string, cell: (cost: CpuCost) => string, idle: (cost: CpuCost) => string = () => '–') =>
    lines.push(
      `| ${label} | ${present.map((column) => (column.percentOnly ? idle(column.cost) : cell(column.cost))).join(' | ')} |`,
    );
  for (const name of shown)
    row(
      name,
      (cost) => format(cost.usPerMessage[name] ?? 0, cost.corePercent[name]),
      (cost) => `${cost.corePercent[name] ?? 0}%`,
    );
  row('**sum of the rows**', (cost) => `**${format(cost.listedUsPerMessage)}**`);
  row(
    'machine, all processes',
    (cost) => `${format(cost.machineUsPerMessage)} (${cost.machineBusyPercent}% of one core)`,
    (cost) => `${cost.machineBusyPercent}%`,
  );
  row('not in any row (other processes, kernel)', (cost) => format(cost.unlistedUsPerMessage));
  row('messages in the window', (cost) => String(cost.messages));
  return lines;
}

/**
 * The same windows in system calls: one row per process, read and write calls per message in
 * each cell, then the rows' sum. Windows measured before these were counted are left out.
 */
export function systemCallTable(columns: ReadonlyArray<{ label: string; cost: CpuCost | undefined }>): string[] {
  const present = columns.filter(
    (column): column is { label: string; cost: CpuCost & { systemCallsPerMessage: Record<string, number> } } =>
      column.cost?.systemCallsPerMessage !== undefined,
  );
  if (present.length === 0) return [];
  const names = [...new Set(present.flatMap((column) => Object.keys(column.cost.systemCallsPerMessage)))];
  const shown = names.filter((name) =>
    present.some((column) => (column.cost.systemCallsPerMessage[name] ?? 0) >= 0.01),
  );
  const lines = [
    `| process | ${present.map((column) => column.label).join(' | ')} |`,
    `|---|${present.map(() => '---').join('|')}|`,
  ];
  for (const name of shown)
    lines.push(`| ${name} | ${present.map((column) => column.cost.systemCallsPerMessage[name] ?? 0).join(' | ')} |`);
  const total = (calls: Record<string, number>) =>
    Object.values(calls)
      .reduce((sum, value) => sum + value, 0)
      .toFixed(2);
  lines.push(
    `| **sum of the rows** | ${present.map((column) => `**${total(column.cost.systemCallsPerMessage)}**`).join(' | ')} |`,
  );
  return lines;
}

/** µs per message, with the process's share of one core when given. */
function format(us: number, corePercent?: number): string {
  const value = us >= 100 ? String(Math.round(us)) : us.toFixed(1);
  return corePercent === undefined ? value : `${value} (${corePercent}%)`;
}
