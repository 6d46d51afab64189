import { type AppInstance, describeSystem, type SystemRole } from '../../scripts/src/system-apps.js';
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

let systemCounter = 0;

/**
 * Starts the system `describeSystem` describes (tests default to one persister and no workers):
 * auth, then the persisters and edges (each edge with its own NODE_ID), and any workers asked for.
 */
export async function startSystem(options: SystemOptions = {}): Promise<TestSystem> {
  systemCounter += 1;
  const shape = {
    edges: options.edges ?? 2,
    notifier: Boolean(options.withNotifier),
    presence: Boolean(options.withPresence),
    // Unique per process and per system: edges of two systems of one run must not share queues.
    nodeIdPrefix: `test-edge-${process.pid}-${systemCounter}`,
  };
  const instances = describeSystem({ ...shape, persisters: options.persisters ?? 1 });
  const ofRole = (role: SystemRole) => instances.filter((instance) => instance.role === role);
  const env = options.env ?? {};
  const [authInstance] = ofRole('auth');
  if (!authInstance) throw new Error('the system description has no auth');
  const auth = await startApp(authInstance.app, { ...env, ...authInstance.env }, { name: authInstance.name });
  const withAuth = { ...env, AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` };
  const roleEnv: Record<SystemRole, Record<string, string> | undefined> = {
    auth: undefined,
    edge: options.edgeEnv,
    persister: options.persisterEnv,
    notifier: options.notifierEnv,
    presence: options.presenceEnv,
    web: undefined,
  };
  const start = (instance: AppInstance, extra: Record<string, string> = {}) =>
    startApp(
      instance.app,
      { ...withAuth, ...roleEnv[instance.role], ...extra, ...instance.env },
      { name: instance.name },
    );

  const persisters: AppProcess[] = [];
  const addPersister = async (extra: Record<string, string> = {}) => {
    // The description of a system with one more persister names and configures the new one.
    const next = describeSystem({ ...shape, persisters: persisters.length + 1 }).filter((i) => i.role === 'persister');
    const instance = next[next.length - 1];
    if (!instance) throw new Error('the system description has no persister');
    const persister = await start(instance, extra);
    persisters.push(persister);
    return persister;
  };
  for (let i = 0; i < ofRole('persister').length; i += 1) await addPersister();
  const edges = await Promise.all(ofRole('edge').map((instance) => start(instance)));
  const [notifierInstance] = ofRole('notifier');
  const notifier = notifierInstance ? await start(notifierInstance) : undefined;
  const [presenceInstance] = ofRole('presence');
  const presence = presenceInstance ? await start(presenceInstance) : undefined;
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
