// Builds the page with Vite into dist/public, one build at a time. Several builds of this tree may
// run at once (`npm test` beside another `npm run build`): Vite's CLI refuses a second build of a
// project, and two builds emptying one folder would clobber each other. So each build waits for
// the one before (a lock folder), builds into a folder of its own, and swaps it in whole: a server
// starting meanwhile reads a page, old or new, never half of one.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'vite';

const HERE = import.meta.dirname;
const DIST = join(HERE, 'dist');
const PUBLIC = join(DIST, 'public');
const LOCK = join(DIST, '.page-build.lock');
const LOCK_WAIT_MS = 120_000;
const LOCK_POLL_MS = 200;

/** A lock without its pid this long after it was made belongs to a build that died making it. */
const PIDLESS_LOCK_STALE_MS = 10_000;

function holderAlive() {
  try {
    process.kill(Number(readFileSync(join(LOCK, 'pid'), 'utf8')), 0);
    return true;
  } catch (error) {
    if (error.code === 'ENOENT') return Date.now() - lockAgeFrom() < PIDLESS_LOCK_STALE_MS;
    return error.code !== 'ESRCH'; // EPERM: alive, and not ours to signal
  }
}

function lockAgeFrom() {
  try {
    return statSync(LOCK).mtimeMs;
  } catch {
    return 0;
  }
}

async function lock() {
  const deadline = Date.now() + LOCK_WAIT_MS;
  mkdirSync(DIST, { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    if (!holderAlive()) rmSync(LOCK, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`another page build holds ${LOCK}`);
    else await sleep(LOCK_POLL_MS);
  }
}

await lock();
const next = `${PUBLIC}.${process.pid}`;
try {
  await build({
    configFile: join(HERE, 'vite.config.ts'),
    build: { outDir: next, emptyOutDir: true },
  });
  rmSync(`${PUBLIC}.old`, { recursive: true, force: true });
  try {
    renameSync(PUBLIC, `${PUBLIC}.old`);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  renameSync(next, PUBLIC);
  rmSync(`${PUBLIC}.old`, { recursive: true, force: true });
} finally {
  rmSync(next, { recursive: true, force: true });
  rmSync(LOCK, { recursive: true, force: true });
}
