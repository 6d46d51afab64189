import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../support/app-process.js';

/**
 * No Docker engine here, so the image's build stage is replayed: every COPY of the build stage
 * into a clean folder, then its build RUN. `npm ci` is not replayed: it would fetch the whole
 * tree again (minutes, and the network). Instead the folder gets what `npm ci` makes: links to
 * the repo's installed packages, and `@chat/*` links to the folder's own copies, so tsc resolves
 * every workspace import inside the replayed tree and a file the Dockerfile forgets is missed.
 */
interface BuildStep {
  kind: 'COPY' | 'RUN';
  args: string;
}

function buildStageSteps(dockerfile: string): BuildStep[] {
  const joined = dockerfile.replace(/\\\n/g, ' ');
  const steps: BuildStep[] = [];
  let inBuild = false;
  for (const line of joined.split('\n')) {
    const from = /^FROM\s+\S+\s+AS\s+(\S+)/i.exec(line);
    if (from) inBuild = from[1] === 'build';
    const step = /^(COPY|RUN)\s+(.*)$/.exec(line.trim());
    if (inBuild && step) steps.push({ kind: step[1] as BuildStep['kind'], args: step[2] ?? '' });
  }
  return steps;
}

function linkInstalledPackages(folder: string): void {
  const modules = join(folder, 'node_modules');
  mkdirSync(join(modules, '@chat'), { recursive: true });
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry === '@chat') continue;
    symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(modules, entry));
  }
  for (const workspace of ['libs', 'apps']) {
    for (const name of readdirSync(join(folder, workspace)))
      symlinkSync(join('..', '..', workspace, name), join(modules, '@chat', name));
  }
  symlinkSync(join('..', '..', 'scripts'), join(modules, '@chat', 'scripts'));
}

describe('Dockerfile build stage, replayed without Docker', function () {
  this.timeout(300_000);

  it('builds from exactly what its COPY steps bring in', () => {
    const steps = buildStageSteps(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    const folder = mkdtempSync(join(tmpdir(), 'chat-image-'));
    try {
      for (const step of steps.filter((s) => s.kind === 'COPY')) {
        const parts = step.args.split(/\s+/);
        const target = parts.pop() ?? '';
        for (const source of parts) {
          const destination = target.endsWith('/') ? join(folder, target, source) : join(folder, target);
          cpSync(join(REPO_ROOT, source), destination, {
            recursive: true,
            filter: (path) => !/[/\\](node_modules|dist)([/\\]|$)/.test(path) && !path.endsWith('.tsbuildinfo'),
          });
        }
      }
      linkInstalledPackages(folder);
      const builds = steps.filter((s) => s.kind === 'RUN' && /npm run build/.test(s.args));
      expect(builds).to.have.length(1);
      execFileSync('sh', ['-c', builds[0]?.args ?? ''], { cwd: folder, stdio: 'pipe' });
      for (const app of ['auth', 'ws-edge', 'persister', 'notifier', 'presence', 'web'])
        expect(readdirSync(join(folder, 'apps', app, 'dist')), app).to.include('main.js');
      // The web chat's page, built by Vite in the same step, beside the server that serves it.
      expect(readdirSync(join(folder, 'apps', 'web', 'dist', 'public'))).to.include('index.html');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
