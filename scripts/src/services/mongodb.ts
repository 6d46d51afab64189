import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopbackHost } from '@chat/config';
import { findExecutable, MissingServiceError } from './commands.js';
import { ensureFerretDbBinary, startFerretDb } from './ferretdb.js';
import { hostPortOf, isPortOpen, waitForPort } from './net.js';
import { RUN_DIR } from './paths.js';
import { type ServiceProcess, spawnService } from './service-process.js';

/**
 * Makes sure a MongoDB-protocol server answers at `mongoUrl`. When none does on this machine:
 * mongod if installed, else FerretDB on the local PostgreSQL (built once from the Go module
 * proxy). Returns the process it started, which the caller stops when done.
 */
export async function ensureMongo(
  mongoUrl: string,
  ferretPostgresUrl: string,
  log: (line: string) => void,
): Promise<ServiceProcess | undefined> {
  const { host, port } = hostPortOf(mongoUrl.replace(/^mongodb(\+srv)?:/, 'http:'), 27017);
  if (await isPortOpen(host, port)) return undefined;
  if (!isLoopbackHost(host)) {
    throw new MissingServiceError(`MongoDB is not reachable at ${host}:${port}; start it or set MONGO_URL.`);
  }
  const mongod = findExecutable('mongod');
  if (mongod) {
    log(`starting mongod on ${port}`);
    const dataDir = join(RUN_DIR, 'mongod');
    mkdirSync(dataDir, { recursive: true });
    const service = spawnService('mongod', mongod, ['--bind_ip', host, '--port', String(port), '--dbpath', dataDir], {
      logFile: join(RUN_DIR, 'logs', 'mongod.log'),
    });
    await waitForPort(host, port, { timeoutMs: 60_000, what: 'mongod', alive: service.alive });
    return service;
  }
  const binary = await ensureFerretDbBinary(log);
  log(`starting FerretDB ${binary.version} on ${host}:${port} (PostgreSQL backend)`);
  return startFerretDb({
    binary,
    host,
    port,
    postgresUrl: ferretPostgresUrl,
    stateDir: join(RUN_DIR, 'ferretdb'),
    logFile: join(RUN_DIR, 'logs', 'ferretdb.log'),
  });
}
