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
  web: 8088,
};

/** The origins a browser shows the web chat under (`npm start`): what auth and the edges allow for CORS, and no other. */
export function webOrigins(port: number): string[] {
  return [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
}

/** What an instance does in the system; consumers order their starts by role (auth first). */
export type SystemRole = 'auth' | 'edge' | 'persister' | 'notifier' | 'presence' | 'web';

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
  /** The web chat's server; default false. Only with fixed ports: it tells the page where auth and the edges are. */
  web?: boolean;
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
  const {
    edges = 2,
    persisters = 2,
    notifier = true,
    presence = true,
    web = false,
    nodeIdPrefix = 'edge',
    ports,
  } = shape;
  if (ports && (edges > 2 || persisters > 2))
    throw new Error('fixed ports exist for at most two edges and two persisters');
  if (web && !ports)
    throw new Error('the web chat is described with fixed ports only: start it with the URLs it serves');
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
    ...(web && ports ? [instance('web', 'web', 'web', { ...port(ports.web), ...webPageEnv(ports, edges) })] : []),
  ];
}

/** Where the web chat's page finds auth and the edges on this machine. */
function webPageEnv(ports: typeof LOCAL_PORTS, edges: number): Record<string, string> {
  const edgePorts = [ports.edge1, ports.edge2].slice(0, edges);
  return {
    WEB_AUTH_URL: `http://127.0.0.1:${ports.auth}`,
    WEB_EDGE_URLS: edgePorts.map((p) => `ws://127.0.0.1:${p}/ws`).join(','),
  };
}

/**
 * `npm start`'s supervisor list: the default system and the web chat on the README's ports.
 * `env` is the shared environment (URLs, prefixes); EDGE_NODE_ID_1/2 override the edges'
 * NODE_IDs. Auth and the edges allow the web chat's origins (CORS and the WebSocket's `Origin`)
 * unless `env` sets AUTH_ALLOWED_ORIGINS or WS_ALLOWED_ORIGINS itself.
 */
export function systemApps(env: NodeJS.ProcessEnv, ports = LOCAL_PORTS): SupervisedApp[] {
  const nodeIds = [env.EDGE_NODE_ID_1, env.EDGE_NODE_ID_2];
  const pageOrigins = webOrigins(ports.web).join(',');
  let edge = 0;
  return describeSystem({ ports, web: true }).map((instance) => {
    const extra = { ...instance.env };
    if (instance.role === 'auth') extra.AUTH_ALLOWED_ORIGINS = env.AUTH_ALLOWED_ORIGINS ?? pageOrigins;
    if (instance.role === 'edge') {
      const override = nodeIds[edge];
      edge += 1;
      if (override) extra.NODE_ID = override;
      extra.WS_ALLOWED_ORIGINS = env.WS_ALLOWED_ORIGINS ?? pageOrigins;
    }
    return { name: instance.name, script: instance.script, env: { ...env, ...extra } };
  });
}
