import { resolve } from 'node:path';
import { type AppName, type AppProcess, freePort, startAppProcess } from '../../scripts/src/app-process.js';
import { appEnvironment } from './test-environment.js';

export type { AppName, AppProcess };
export { freePort };

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** Starts an app with this run's environment plus `env`, and waits until `/healthz` answers. */
export function startApp(
  app: AppName,
  env: Record<string, string> = {},
  options: { name?: string; port?: number; readyTimeoutMs?: number } = {},
): Promise<AppProcess> {
  return startAppProcess(
    app,
    { ...process.env, ...appEnvironment, ...env },
    { ...options, echo: Boolean(process.env.TEST_APP_OUTPUT) },
  );
}
