import { ensureServices, type LocalServices } from '@chat/scripts/services/ensure-services';
import { BenchEnvironment } from './bench-environment.js';
import { BenchSystem } from './bench-system.js';
import { Fixtures } from './fixtures.js';
import { LoadPool } from './load/pool.js';

/** What one benchmark or soak run works with, and the one way to tear it all down. */
export interface BenchSession {
  env: BenchEnvironment;
  system: BenchSystem;
  fixtures: Fixtures;
  pool: LoadPool;
  /** Stops the load generator and the apps, drops the run's vhost, database and keys, and stops the services the run started. Safe to call twice. */
  cleanUp(): Promise<void>;
}

/**
 * Makes the services reachable, creates the run's own vhost, database and Redis prefix, and
 * prepares the system and the load generator (not started yet). Ctrl-C mid-run still cleans up.
 */
export async function openBenchSession(workers: number, log: (line: string) => void): Promise<BenchSession> {
  // What this run starts (FerretDB, when nothing serves MongoDB) it stops again at the end.
  const services: LocalServices = await ensureServices(process.env, (line) => log(`[services] ${line}`));
  const env = new BenchEnvironment();
  await env.create();
  const system = new BenchSystem(env);
  const fixtures = new Fixtures(env);
  const pool = new LoadPool(workers);
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      await pool.close();
      await system.stop();
      await fixtures.close();
      await env.destroy();
      await services.stop();
    })();
    return cleaning;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the system`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  return { env, system, fixtures, pool, cleanUp };
}
