import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SupervisedApp {
  /** Shown as the log prefix, e.g. `ws-edge-1`. */
  name: string;
  /** The compiled entry point, run with this Node. */
  script: string;
  env: NodeJS.ProcessEnv;
}

/** First restart delay; doubles per consecutive crash up to the cap. */
export const RESTART_BASE_DELAY_MS = 500;
export const RESTART_MAX_DELAY_MS = 30_000;
/** A run this long counts as healthy: the next crash restarts at the base delay again. */
export const STABLE_RUN_MS = 30_000;
const STOP_GRACE_MS = 20_000;

/** The next restart delay after `consecutiveCrashes` crashes in a row. */
export function restartDelayMs(consecutiveCrashes: number): number {
  return Math.min(RESTART_MAX_DELAY_MS, RESTART_BASE_DELAY_MS * 2 ** Math.max(0, consecutiveCrashes - 1));
}

interface AppState {
  app: SupervisedApp;
  child?: ChildProcess;
  startedAt: number;
  consecutiveCrashes: number;
  restartTimer?: NodeJS.Timeout;
}

/**
 * Runs every app as a child process: prefixes each output line with the app's name, restarts
 * an app that crashes (non-zero exit, or killed by a signal) with capped exponential backoff,
 * and stops all on request. An app that exits 0 was stopped on purpose and stays stopped.
 */
export class Supervisor {
  readonly #states: AppState[];
  readonly #write: (line: string) => void;
  #stopping = false;

  constructor(apps: SupervisedApp[], write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
    this.#states = apps.map((app) => ({ app, startedAt: 0, consecutiveCrashes: 0 }));
    this.#write = write;
  }

  start(): void {
    for (const state of this.#states) this.#spawn(state);
    // Detached children would outlive a supervisor that exits without stop(); take them along.
    process.once('exit', () => {
      for (const state of this.#states) if (state.child?.exitCode === null) state.child.kill('SIGKILL');
    });
  }

  /** The current process id of an app, for tests that crash one on purpose. */
  pidOf(name: string): number | undefined {
    return this.#states.find((state) => state.app.name === name)?.child?.pid;
  }

  /** SIGTERM to every app, SIGKILL to those still running after the grace period. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const running = this.#states.filter((state) => {
      clearTimeout(state.restartTimer);
      return state.child && state.child.exitCode === null && state.child.signalCode === null;
    });
    const exits = running.map((state) => new Promise<void>((resolve) => state.child?.once('exit', () => resolve())));
    for (const state of running) state.child?.kill('SIGTERM');
    const allExited = Promise.all(exits).then(() => true);
    if (!(await Promise.race([allExited, sleep(STOP_GRACE_MS).then(() => false)]))) {
      for (const state of running) state.child?.kill('SIGKILL');
      await allExited;
    }
  }

  #spawn(state: AppState): void {
    // A process group of its own: a terminal's Ctrl-C reaches only the supervisor, which then
    // stops each app once, with SIGTERM (a second signal would cut an app's graceful stop short).
    const child = spawn(process.execPath, [state.app.script], {
      env: state.app.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    state.child = child;
    state.startedAt = Date.now();
    const prefix = `[${state.app.name}]`;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.#write(`${prefix} ${line}`));
    }
    child.once('exit', (code, signal) => {
      if (this.#stopping) return;
      const ranMs = Date.now() - state.startedAt;
      if (code === 0) {
        // A clean exit is a deliberate stop (someone sent it SIGTERM), not a crash.
        this.#write(`${prefix} exited cleanly after ${Math.round(ranMs / 1000)} s; not restarting`);
        return;
      }
      state.consecutiveCrashes = ranMs >= STABLE_RUN_MS ? 1 : state.consecutiveCrashes + 1;
      const delay = restartDelayMs(state.consecutiveCrashes);
      this.#write(
        `${prefix} exited (${signal ?? `code ${code}`}) after ${Math.round(ranMs / 1000)} s; restarting in ${delay} ms`,
      );
      state.restartTimer = setTimeout(() => this.#spawn(state), delay);
    });
  }
}
