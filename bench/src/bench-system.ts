import { type AppProcess, startAppProcess } from '@chat/scripts/app-process';
import { type AppInstance, describeSystem } from '@chat/scripts/system-apps';
import type { BenchEnvironment } from './bench-environment.js';

/** The edge whose inspector the idle-connection scenario uses. */
export const INSPECTED_EDGE = 'ws-edge-1';

/**
 * The whole system as `npm start` runs it (`describeSystem`'s default: auth, two edges, two
 * persisters, notifier, presence), in the benchmark's environment and on free ports, with handles
 * to stop and restart parts of it. Apps are named as in `npm start` (`ws-edge-1`, `persister-2`).
 */
function countOf(variable: string): number {
  const value = Number(process.env[variable] ?? 2);
  if (value !== 1 && value !== 2) throw new Error(`${variable} must be 1 or 2`);
  return value;
}

export class BenchSystem {
  readonly #env: BenchEnvironment;
  readonly #instances: AppInstance[];
  readonly apps = new Map<string, AppProcess>();

  constructor(env: BenchEnvironment) {
    this.#env = env;
    // BENCH_EDGES and BENCH_PERSISTERS (1 or 2, default 2) measure how each stage scales out (docs/scaling.md).
    this.#instances = describeSystem({
      nodeIdPrefix: `bench-edge-${env.runId}`,
      edges: countOf('BENCH_EDGES'),
      persisters: countOf('BENCH_PERSISTERS'),
    });
  }

  /** Argon2 at OWASP's minimum keeps setup quick; the benchmark creates most users directly. */
  async start(edgeExtra: Record<string, string> = {}): Promise<void> {
    const common = { ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', ARGON2_PARALLELISM: '1' };
    await Promise.all(this.#ofRole('auth').map((auth) => this.#start(auth, common)));
    const jwks = { AUTH_JWKS_URL: `${this.url('auth')}/.well-known/jwks.json` };
    const edge = {
      ...jwks,
      // Benchmark clients send faster than a person; one user holds many connections in the idle test.
      WS_RATE_PER_S: '100000',
      WS_RATE_BURST: '100000',
      WS_MAX_CONNECTIONS_PER_USER: '100000',
      ...edgeExtra,
    };
    await Promise.all([
      ...this.#ofRole('edge').map((instance) =>
        this.#start(instance, {
          ...edge,
          // The inspector (loopback, random port) lets the idle-connection scenario force a GC before reading memory.
          ...(instance.name === INSPECTED_EDGE ? { NODE_OPTIONS: '--inspect=127.0.0.1:0' } : {}),
        }),
      ),
      this.startPersisters(),
      ...this.#ofRole('presence').map((instance) => this.#start(instance, {})),
      ...this.#ofRole('notifier').map((instance) => this.#start(instance, {})),
    ]);
  }

  /** Names of the apps of a role, in order (`ws-edge-1`, `ws-edge-2`; `persister-1`, ...; `notifier`). */
  names(role: 'edge' | 'persister' | 'notifier'): string[] {
    return this.#ofRole(role).map((instance) => instance.name);
  }

  async startPersisters(): Promise<void> {
    await Promise.all(this.#ofRole('persister').map((instance) => this.#start(instance, {})));
  }

  async stopPersisters(): Promise<void> {
    await Promise.all(this.names('persister').map((name) => this.stopApp(name)));
  }

  async stopApp(name: string): Promise<void> {
    await this.apps.get(name)?.stop();
    this.apps.delete(name);
  }

  url(name: string): string {
    const app = this.apps.get(name);
    if (!app) throw new Error(`${name} is not running`);
    return app.url;
  }

  /** Where the app serves `/metrics` (a listener of its own). */
  metricsUrl(name: string): string {
    const app = this.apps.get(name);
    if (!app) throw new Error(`${name} is not running`);
    return app.metricsUrl;
  }

  /** What the app printed so far. */
  output(name: string): string {
    return this.apps.get(name)?.output() ?? '';
  }

  pid(name: string): number {
    return this.apps.get(name)?.child.pid ?? 0;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.apps.keys()].map((name) => this.stopApp(name)));
  }

  #ofRole(role: AppInstance['role']): AppInstance[] {
    return this.#instances.filter((instance) => instance.role === role);
  }

  async #start(instance: AppInstance, extra: Record<string, string>): Promise<void> {
    const env = this.#env.appEnv({ ...extra, ...instance.env });
    const app = await startAppProcess(instance.app, env, {
      name: instance.name,
      readyTimeoutMs: 30_000,
      ...(this.#env.cpuProfileDir ? { cpuProfileDir: this.#env.cpuProfileDir } : {}),
    });
    this.apps.set(instance.name, app);
  }
}
