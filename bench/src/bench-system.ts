import { type AppName, type AppProcess, startAppProcess } from '@chat/scripts/app-process';
import type { BenchEnvironment } from './bench-environment.js';

/**
 * The whole system as `npm start` runs it (auth, two edges, two persisters, notifier, presence),
 * in the benchmark's environment, with handles to stop and restart parts of it.
 */
export class BenchSystem {
  readonly #env: BenchEnvironment;
  readonly apps = new Map<string, AppProcess>();

  constructor(env: BenchEnvironment) {
    this.#env = env;
  }

  /** Argon2 at OWASP's minimum keeps setup quick; the benchmark creates most users directly. */
  async start(edgeExtra: Record<string, string> = {}): Promise<void> {
    const common = { ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', ARGON2_PARALLELISM: '1' };
    await this.#start('auth', 'auth', common);
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
      // The inspector (loopback, random port) lets the idle-connection scenario force a GC before reading memory.
      this.#start('edge-1', 'ws-edge', {
        ...edge,
        NODE_ID: `bench-edge-1-${this.#env.runId}`,
        NODE_OPTIONS: '--inspect=127.0.0.1:0',
      }),
      this.#start('edge-2', 'ws-edge', { ...edge, NODE_ID: `bench-edge-2-${this.#env.runId}` }),
      this.startPersisters(),
      this.#start('presence', 'presence', {}),
      this.#start('notifier', 'notifier', {}),
    ]);
  }

  async startPersisters(): Promise<void> {
    await Promise.all([this.#start('persister-1', 'persister', {}), this.#start('persister-2', 'persister', {})]);
  }

  async stopPersisters(): Promise<void> {
    await Promise.all(['persister-1', 'persister-2'].map((name) => this.stopApp(name)));
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

  async #start(name: string, app: AppName, extra: Record<string, string>): Promise<void> {
    this.apps.set(name, await startAppProcess(app, this.#env.appEnv(extra), { name, readyTimeoutMs: 30_000 }));
  }
}
