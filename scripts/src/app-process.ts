import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from './services/paths.js';

export type AppName = 'auth' | 'ws-edge' | 'persister' | 'notifier' | 'presence' | 'web';

/** A real app process, started from its compiled entry point (by tests and the benchmark). */
export interface AppProcess {
  name: string;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Where its `/metrics` is served: a listener of its own (http://127.0.0.1:<metrics port>). */
  metricsUrl: string;
  child: ChildProcess;
  /** Everything the process printed so far (the last 200,000 characters). */
  output(): string;
  exited(): boolean;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
}

const MAX_OUTPUT_CHARS = 200_000;

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface StartAppOptions {
  name?: string;
  port?: number;
  readyTimeoutMs?: number;
  echo?: boolean;
  /** Writes a V8 CPU profile of the process into `<dir>/<name>/` when it exits (the benchmark's `--cpu-profile`). */
  cpuProfileDir?: string;
}

/** Attempts at starting an app on ports of our choosing, each lost to a port taken meanwhile. */
const PORT_RACE_ATTEMPTS = 3;

/**
 * Starts an app on 127.0.0.1 with `env` and waits until its `/healthz` answers. A port found
 * free can be taken before the app binds it (by any process's outgoing connection, from the same
 * ephemeral range): when the app then exits with EADDRINUSE on ports chosen here, it is started
 * again on new ones.
 */
export async function startAppProcess(
  app: AppName,
  env: NodeJS.ProcessEnv,
  options: StartAppOptions = {},
): Promise<AppProcess> {
  const chosenHere = options.port === undefined || env.METRICS_PORT === undefined;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(app, env, options);
    } catch (error) {
      const lostRace = error instanceof PortTakenError && chosenHere && attempt < PORT_RACE_ATTEMPTS;
      if (!lostRace) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(app: AppName, env: NodeJS.ProcessEnv, options: StartAppOptions): Promise<AppProcess> {
  const port = options.port ?? (await freePort());
  let metricsPort = env.METRICS_PORT ? Number(env.METRICS_PORT) : options.port ? port + 1000 : await freePort();
  // Two free ports asked for in a row can be the same one.
  while (metricsPort === port && !env.METRICS_PORT) metricsPort = await freePort();
  const name = options.name ?? app;
  const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(options.cpuProfileDir, name)}`] : [];
  const child = spawn(process.execPath, [...profile, join(REPO_ROOT, 'apps', app, 'dist', 'main.js')], {
    cwd: REPO_ROOT,
    env: {
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
    if (options.echo) process.stderr.write(`[${name}] ${chunk.toString()}`);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exitCode: number | null | undefined;
  const exit = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolveExit(code);
    }),
  );
  const handle: AppProcess = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    child,
    output: () => output,
    exited: () => exitCode !== undefined,
    async stop() {
      if (exitCode === undefined) child.kill('SIGTERM');
      return exit;
    },
    async kill() {
      if (exitCode === undefined) child.kill('SIGKILL');
      await exit;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      const message = `${name} exited with ${exitCode} before it was healthy:\n${output}`;
      throw output.includes('EADDRINUSE') ? new PortTakenError(message) : new Error(message);
    }
    try {
      if ((await fetch(`${handle.url}/healthz`)).ok) return handle;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await handle.kill();
  throw new Error(`${name} was not healthy within the timeout:\n${output}`);
}
