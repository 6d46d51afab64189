import { expect } from 'chai';
import { type CpuSnapshot, costBetween } from '../../bench/src/cost/cpu-meter.js';
import { processSystemCalls } from '../../bench/src/procfs/proc-stat.js';
import { systemCallTable } from '../../bench/src/report/cost-table.js';

/** The benchmark's cost per message: CPU and system calls between a step's two /proc readings. */
describe('benchmark cost meter', () => {
  const snapshot = (atMs: number, rows: Array<[string, number, number, number]>): CpuSnapshot => ({
    atMs,
    machineS: rows.reduce((sum, [, , seconds]) => sum + seconds, 0),
    byAccount: new Map(
      rows.map(([name, pid, seconds, systemCalls]) => [name, { pid, seconds, systemCalls, role: 'app' }]),
    ),
  });

  it('divides each process’s CPU and system calls over the step by the messages it delivered', () => {
    const before = snapshot(0, [
      ['edge', 10, 1, 1_000],
      ['persister', 11, 2, 500],
    ]);
    const after = snapshot(2_000, [
      ['edge', 10, 1.5, 3_000],
      ['persister', 11, 2.25, 1_500],
    ]);
    const cost = costBetween(before, after, 1_000);
    expect(cost.usPerMessage).to.deep.equal({ edge: 500, persister: 250 });
    expect(cost.systemCallsPerMessage).to.deep.equal({ edge: 2, persister: 1 });
    expect(cost.corePercent).to.deep.equal({ edge: 25, persister: 12.5 });
  });

  it('counts a process restarted during the step from zero, not as a negative difference', () => {
    const before = snapshot(0, [['persister', 11, 5, 90_000]]);
    const after = snapshot(1_000, [['persister', 12, 0.1, 400]]);
    const cost = costBetween(before, after, 100);
    expect(cost.usPerMessage.persister).to.equal(1_000);
    expect(cost.systemCallsPerMessage?.persister).to.equal(4);
  });

  it('reads this process’s own system calls from /proc, and they grow with its I/O', () => {
    const first = processSystemCalls(process.pid);
    expect(first).to.be.greaterThan(0);
    for (let i = 0; i < 10; i += 1) processSystemCalls(process.pid);
    expect(processSystemCalls(process.pid)).to.be.greaterThan(first);
    expect(processSystemCalls(2 ** 22 + 1)).to.equal(0);
  });

  it('tabulates the calls per process and their sum, and leaves out windows without them', () => {
    const cost = costBetween(snapshot(0, [['edge', 10, 0, 0]]), snapshot(1_000, [['edge', 10, 0.1, 2_500]]), 1_000);
    const { systemCallsPerMessage: _, ...older } = cost;
    const table = systemCallTable([
      { label: '200/s', cost },
      { label: 'old run', cost: older },
    ]);
    expect(table).to.deep.equal([
      '| process | 200/s |',
      '|---|---|',
      '| edge | 2.5 |',
      '| **sum of the rows** | **2.50** |',
    ]);
  });
});
