import { join } from 'node:path';
import type { AppName } from './app-process.js';
import { REPO_ROOT } from './services/paths.js';
import type { SupervisedApp } from './supervisor.js';

/** Ports of the local system, as the README documents them. */
export const LOCAL_PORTS = {
  auth: 8080,
  edge1: 8081,
  edge2: 8082,
  notifier: 8083,
  presence: 8084,
  persister1: 8085,
  persister2: 8086,
};

/** What an instance does in the system; consumers order their starts by role (auth first). */
export type SystemRole = 'auth' | 'edge' | 'persister' | 'notifier' | 'presence';

/** One app instance of a system: which app, under which name, with which environment additions. */
export interface AppInstance {
  /** Unique within the system, e.g. `ws-edge-1`; the supervisor's log prefix. */
  name: string;
  role: SystemRole;
  app: AppName;
  /** The compiled entry point, run with this Node. */
  script: string;
  /** Added to the shared environment: NODE_ID for edges, PORT when the ports are fixed. */
  env: Record<string, string>;
}

export interface SystemShape {
  /** Default 2. */
  edges?: number;
  /** Default 2. */
  persisters?: number;
  /** Default true. */
  notifier?: boolean;
  /** Default true. */
  presence?: boolean;
  /** Edge N gets NODE_ID `<prefix>-N`; edges share queues by NODE_ID, so each must differ. Default `edge`. */
  nodeIdPrefix?: string;
  /**
   * Fixed ports (`npm start`); omitted, no PORT is set and the starter picks free ports (tests, bench).
   * Only the two edges and two persisters of `npm start` have fixed ports.
   */
  ports?: typeof LOCAL_PORTS;
}

export function appEntry(app: AppName): string {
  return join(REPO_ROOT, 'apps', app, 'dist', 'main.js');
}

/**
 * The one description of a running system: auth, the edges (each with its own NODE_ID), the
 * persisters, and the notifier and presence workers. `npm start`, the tests' `startSystem` and the
 * benchmark all start what this returns.
 */
export function describeSystem(shape: SystemShape = {}): AppInstance[] {
  const { edges = 2, persisters = 2, notifier = true, presence = true, nodeIdPrefix = 'edge', ports } = shape;
  if (ports && (edges > 2 || persisters > 2))
    throw new Error('fixed ports exist for at most two edges and two persisters');
  const port = (value: number | undefined): Record<string, string> =>
    value === undefined ? {} : { PORT: String(value) };
  const instance = (name: string, role: SystemRole, app: AppName, env: Record<string, string>): AppInstance => ({
    name,
    role,
    app,
    script: appEntry(app),
    env,
  });
  const edgePorts = [ports?.edge1, ports?.edge2];
  const persisterPorts = [ports?.persister1, ports?.persister2];
  return [
    instance('auth', 'auth', 'auth', port(ports?.auth)),
    ...Array.from({ length: edges }, (_, i) =>
      instance(`ws-edge-${i + 1}`, 'edge', 'ws-edge', { ...port(edgePorts[i]), NODE_ID: `${nodeIdPrefix}-${i + 1}` }),
    ),
    ...Array.from({ length: persisters }, (_, i) =>
      instance(`persister-${i + 1}`, 'persister', 'persister', port(persisterPorts[i])),
    ),
    ...(notifier ? [instance('notifier', 'notifier', 'notifier', port(ports?.notifier))] : []),
    ...(presence ? [instance('presence', 'presence', 'presence', port(ports?.presence))] : []),
  ];
}

/**
 * `npm start`'s supervisor list: the default system on the README's ports. `env` is the shared
 * environment (URLs, prefixes); EDGE_NODE_ID_1/2 override the edges' NODE_IDs.
 */
export function systemApps(env: NodeJS.ProcessEnv, ports = LOCAL_PORTS): SupervisedApp[] {
  const nodeIds = [env.EDGE_NODE_ID_1, env.EDGE_NODE_ID_2];
  let edge = 0;
  return describeSystem({ ports }).map((instance) => {
    const extra = { ...instance.env };
    if (instance.role === 'edge') {
      const override = nodeIds[edge];
      edge += 1;
      if (override) extra.NODE_ID = override;
    }
    return { name: instance.name, script: instance.script, env: { ...env, ...extra } };
  });
}
