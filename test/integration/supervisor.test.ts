import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { RESTART_MAX_DELAY_MS, restartDelayMs, Supervisor } from '../../scripts/src/supervisor.js';

describe('npm start supervisor', function () {
  this.timeout(30_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-supervisor-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('backs off exponentially between restarts, up to a cap', () => {
    expect([1, 2, 3, 4].map(restartDelayMs)).to.deep.equal([500, 1_000, 2_000, 4_000]);
    expect(restartDelayMs(30)).to.equal(RESTART_MAX_DELAY_MS);
  });

  it('prefixes output with the app name and restarts a crashing app with growing delays', async () => {
    const starts = join(dir, 'starts.log');
    const script = join(dir, 'crash.mjs');
    writeFileSync(
      script,
      `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(starts)}, Date.now() + '\\n');\nconsole.log('hello from the app');\nprocess.exit(3);\n`,
    );
    const lines: string[] = [];
    const supervisor = new Supervisor([{ name: 'crashy', script, env: process.env }], (line) => lines.push(line));
    supervisor.start();
    await sleep(4_200);
    await supervisor.stop();
    const times = readFileSync(starts, 'utf8').trim().split('\n').map(Number);
    expect(times.length).to.be.within(3, 4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(gaps[0]).to.be.within(450, 1_200);
    expect(gaps[1]).to.be.within(950, 1_800);
    expect(lines).to.include('[crashy] hello from the app');
    expect(lines.some((line) => /^\[crashy\] exited \(code 3\) .* restarting in 1000 ms$/.test(line))).to.equal(true);
  });

  it('leaves an app that exits 0 stopped: that was a deliberate stop, not a crash', async () => {
    const script = join(dir, 'done.mjs');
    writeFileSync(script, "console.log('bye');\n");
    const lines: string[] = [];
    const supervisor = new Supervisor([{ name: 'done', script, env: process.env }], (line) => lines.push(line));
    supervisor.start();
    await sleep(1_500);
    await supervisor.stop();
    expect(lines.filter((line) => line === '[done] bye')).to.have.length(1);
    expect(lines.some((line) => /not restarting$/.test(line))).to.equal(true);
  });

  it('stops every app with SIGTERM and does not restart it', async () => {
    const script = join(dir, 'serve.mjs');
    writeFileSync(
      script,
      "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(0); });\nsetInterval(() => {}, 1000);\nconsole.log('up');\n",
    );
    const lines: string[] = [];
    const supervisor = new Supervisor(
      [
        { name: 'a', script, env: process.env },
        { name: 'b', script, env: process.env },
      ],
      (line) => lines.push(line),
    );
    supervisor.start();
    while (lines.filter((line) => line.endsWith(' up')).length < 2) await sleep(50);
    const pid = supervisor.pidOf('a');
    await supervisor.stop();
    expect(lines).to.include.members(['[a] got SIGTERM', '[b] got SIGTERM']);
    expect(lines.some((line) => line.includes('restarting'))).to.equal(false);
    expect(() => process.kill(pid ?? 0, 0)).to.throw();
  });
});
