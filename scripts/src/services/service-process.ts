import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A local service process this tool started, and so may stop. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once: for fault tests that crash a service on purpose. */
  kill(): Promise<void>;
}

/** Starts a service with its output in a log file, so a failure to start can be explained. */
export function spawnService(
  name: string,
  command: string,
  args: string[],
  options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): ServiceProcess {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  // Its own process group: a service such as RabbitMQ is a shell script with children, and
  // stopping it means signalling all of them.
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  exit.then(() => log.end());

  const signalAndWait = async (signal: NodeJS.Signals, graceMs: number) => {
    if (exited) return;
    signalGroup(child, signal);
    const stopped = await Promise.race([exit.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      signalGroup(child, 'SIGKILL');
      await exit;
    }
  };

  return {
    name,
    child,
    logFile: options.logFile,
    alive: () => !exited,
    stop: (graceMs = 10_000) => signalAndWait('SIGTERM', graceMs),
    kill: () => signalAndWait('SIGKILL', 5_000),
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
