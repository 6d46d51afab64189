import { join } from 'node:path';
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

function entry(app: string): string {
  return join(REPO_ROOT, 'apps', app, 'dist', 'main.js');
}

/**
 * Every app of one local deployment: auth, two edge nodes, two persisters, the notifier and the
 * presence worker. `env` is the shared environment (URLs, prefixes); each app adds its port.
 */
export function systemApps(env: NodeJS.ProcessEnv, ports = LOCAL_PORTS): SupervisedApp[] {
  const app = (name: string, dir: string, extra: Record<string, string>): SupervisedApp => ({
    name,
    script: entry(dir),
    env: { ...env, ...extra },
  });
  return [
    app('auth', 'auth', { PORT: String(ports.auth) }),
    app('ws-edge-1', 'ws-edge', { PORT: String(ports.edge1), NODE_ID: env.EDGE_NODE_ID_1 ?? 'edge-1' }),
    app('ws-edge-2', 'ws-edge', { PORT: String(ports.edge2), NODE_ID: env.EDGE_NODE_ID_2 ?? 'edge-2' }),
    app('persister-1', 'persister', { PORT: String(ports.persister1) }),
    app('persister-2', 'persister', { PORT: String(ports.persister2) }),
    app('notifier', 'notifier', { PORT: String(ports.notifier) }),
    app('presence', 'presence', { PORT: String(ports.presence) }),
  ];
}
