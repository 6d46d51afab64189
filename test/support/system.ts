import { type AppProcess, startApp } from './app-process.js';

export interface SystemOptions {
  edges?: number;
  persisters?: number;
  /** Added to every app's environment. */
  env?: Record<string, string>;
  /** Per-app additions. */
  edgeEnv?: Record<string, string>;
  persisterEnv?: Record<string, string>;
  withNotifier?: boolean;
  withPresence?: boolean;
  notifierEnv?: Record<string, string>;
  presenceEnv?: Record<string, string>;
}

/** A whole running system of real processes, as a test arranges it. */
export interface TestSystem {
  auth: AppProcess;
  edges: AppProcess[];
  persisters: AppProcess[];
  notifier?: AppProcess;
  presence?: AppProcess;
  /** Starts one more persister. */
  addPersister(env?: Record<string, string>): Promise<AppProcess>;
  stop(): Promise<void>;
}

let nodeCounter = 0;

/** Starts auth, then the persisters and edges (each edge with its own NODE_ID), and any workers asked for. */
export async function startSystem(options: SystemOptions = {}): Promise<TestSystem> {
  const env = options.env ?? {};
  const auth = await startApp('auth', env);
  const withAuth = { ...env, AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` };
  const persisters: AppProcess[] = [];
  const addPersister = async (extra: Record<string, string> = {}) => {
    const persister = await startApp(
      'persister',
      { ...withAuth, ...options.persisterEnv, ...extra },
      { name: `persister-${persisters.length + 1}` },
    );
    persisters.push(persister);
    return persister;
  };
  for (let i = 0; i < (options.persisters ?? 1); i += 1) await addPersister();
  const edges = await Promise.all(
    Array.from({ length: options.edges ?? 2 }, () => {
      nodeCounter += 1;
      return startApp(
        'ws-edge',
        { ...withAuth, ...options.edgeEnv, NODE_ID: `test-edge-${process.pid}-${nodeCounter}` },
        {
          name: `edge-${nodeCounter}`,
        },
      );
    }),
  );
  const notifier = options.withNotifier
    ? await startApp('notifier', { ...withAuth, ...options.notifierEnv })
    : undefined;
  const presence = options.withPresence
    ? await startApp('presence', { ...withAuth, ...options.presenceEnv })
    : undefined;
  const system: TestSystem = {
    auth,
    edges,
    persisters,
    ...(notifier ? { notifier } : {}),
    ...(presence ? { presence } : {}),
    addPersister,
    // Reads the fields at stop time: a test may have replaced a process (a restarted auth).
    async stop() {
      const all = [...system.edges, ...system.persisters, system.notifier, system.presence, system.auth];
      await Promise.all(all.filter((app) => app !== undefined).map((app) => app.stop()));
    },
  };
  return system;
}
