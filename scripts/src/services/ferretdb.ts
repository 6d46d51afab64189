import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { execFileAsync, findExecutable, MissingServiceError } from './commands.js';
import { installLookupIndexes, withLookupPlans } from './ferretdb-lookup-indexes.js';
import { waitForPort } from './net.js';
import { TOOL_CACHE_DIR } from './paths.js';
import { overLocalSocket } from './postgres-socket.js';
import { type ServiceProcess, spawnService } from './service-process.js';

const MODULE = 'github.com/FerretDB/FerretDB';
/**
 * The 1.24 line. v1.24.1 is asked for first; the Go module proxy has refused it with 403 on
 * machines where v1.24.0, the same line one patch earlier, is served.
 */
export const FERRETDB_VERSIONS = ['v1.24.1', 'v1.24.0'];
const GO_EXTRA_DIRS = ['/usr/local/go/bin', join(process.env.HOME ?? '/root', 'go', 'bin')];

export interface FerretDbBinary {
  path: string;
  version: string;
}

/** The cached FerretDB binary, built from the Go module proxy on first use (about a minute). */
export async function ensureFerretDbBinary(log: (line: string) => void): Promise<FerretDbBinary> {
  const wanted = process.env.FERRETDB_VERSION ? [process.env.FERRETDB_VERSION] : FERRETDB_VERSIONS;
  for (const version of wanted) {
    const path = binaryPath(version);
    if (existsSync(path)) return { path, version };
  }
  const go = findExecutable('go', GO_EXTRA_DIRS);
  if (!go) {
    throw new MissingServiceError(
      'No MongoDB server is reachable and FerretDB cannot be built: Go is not installed. ' +
        'Install Go (https://go.dev/doc/install, or Debian: apt-get install golang), or run MongoDB 7 and set MONGO_URL.',
    );
  }
  const refusals: string[] = [];
  for (const version of wanted) {
    const source = await downloadModule(go, version);
    if ('error' in source) {
      refusals.push(`${version}: ${source.error}`);
      log(`the Go module proxy did not serve FerretDB ${version}; trying the next version of the line`);
      continue;
    }
    log(`building FerretDB ${version} (once; cached in ${TOOL_CACHE_DIR})`);
    await buildFromSource(go, source.dir, version);
    return { path: binaryPath(version), version };
  }
  throw new MissingServiceError(`the Go module proxy did not serve FerretDB:\n  ${refusals.join('\n  ')}`);
}

function binaryPath(version: string): string {
  return join(TOOL_CACHE_DIR, `ferretdb-${version}`, 'ferretdb');
}

async function downloadModule(go: string, version: string): Promise<{ dir: string } | { error: string }> {
  try {
    const { stdout } = await execFileAsync(go, ['mod', 'download', '-json', `${MODULE}@${version}`], {
      cwd: tmpdir(),
      maxBuffer: 1 << 20,
    });
    const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
    return info.Dir ? { dir: info.Dir } : { error: info.Error ?? 'no source directory' };
  } catch (error) {
    const output = (error as { stdout?: string }).stdout;
    try {
      const info = JSON.parse(output ?? '') as { Error?: string };
      if (info.Error) return { error: info.Error.split('\n')[0] ?? info.Error };
    } catch {
      // not JSON: fall through
    }
    return { error: (error as Error).message.split('\n')[0] ?? 'go mod download failed' };
  }
}

/**
 * Builds the module's own cmd/ferretdb. A plain `go install` panics at start for want of
 * build/version/version.txt (FerretDB issue 2982), so the source is copied and the file written.
 * The module's go.sum pins every dependency.
 */
async function buildFromSource(go: string, moduleDir: string, version: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ferretdb-build-'));
  try {
    const src = join(work, 'src');
    cpSync(moduleDir, src, { recursive: true });
    makeWritable(src);
    writeFileSync(join(src, 'build', 'version', 'version.txt'), `${version}\n`);
    const target = binaryPath(version);
    mkdirSync(join(target, '..'), { recursive: true });
    const partial = `${target}.${process.pid}.partial`;
    await execFileAsync(go, ['build', '-o', partial, './cmd/ferretdb'], {
      cwd: src,
      env: { ...process.env, CGO_ENABLED: '0' },
      maxBuffer: 16 << 20,
    });
    // Rename is atomic: two builds racing leave one whole binary.
    renameSync(partial, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The module cache is read-only, and so is its copy; the build writes version.txt into it. */
function makeWritable(dir: string): void {
  execFileSync('chmod', ['-R', 'u+w', dir]);
}

/** Creates the PostgreSQL database FerretDB stores into, if it does not exist. */
export async function ensurePostgresDatabase(postgresUrl: string): Promise<void> {
  const url = new URL(postgresUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(database)) throw new Error(`unexpected PostgreSQL database name: ${database}`);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new MissingServiceError(
      `FerretDB needs PostgreSQL, which is not reachable at ${url.host} (${(error as Error).message}). ` +
        'Start PostgreSQL (Debian: pg_ctlcluster <version> main start) or set FERRETDB_POSTGRESQL_URL.',
    );
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database}"`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by someone else
      });
    }
  } finally {
    await client.end();
  }
}

export interface FerretDbOptions {
  binary: FerretDbBinary;
  host: string;
  port: number;
  postgresUrl: string;
  stateDir: string;
  logFile: string;
  /** PostgreSQL connections FerretDB may hold; default FERRETDB_POOL_MAX_CONNS. */
  poolMaxConns?: number;
}

/**
 * FerretDB's PostgreSQL pool when the URL does not set one. pgx's default is 4 on two cores,
 * and FerretDB 1.24 holds a connection per update statement (and per open cursor) until the
 * command ends, needing one more for the write: four concurrent updates deadlocked it. The apps
 * keep their updates few and short and their reads single-batch (libs/storage/src/server-dialect.ts); this
 * keeps the pool well above their sum, within PostgreSQL's default 100 connections.
 */
export const FERRETDB_POOL_MAX_CONNS = 60;

export function withPoolSize(postgresUrl: string, maxConns = FERRETDB_POOL_MAX_CONNS): string {
  const url = new URL(postgresUrl);
  if (!url.searchParams.has('pool_max_conns')) url.searchParams.set('pool_max_conns', String(maxConns));
  return url.toString();
}

/**
 * Go scheduler threads FerretDB runs with, unless GOMAXPROCS is set. Go's default is one per
 * core; on two cores shared with the broker, PostgreSQL and the apps, a second thread mostly
 * spun and woke for each small insert. Measured (`BENCH_RATES=200,1000 npm run bench -- --only
 * e2e`, two runs each way, 2026-12-07): at 200 msg/s FerretDB 953 and 966 µs of CPU per message
 * with the default, 738 and 693 with one; the whole machine 8,479-8,579 against 7,356-7,914;
 * p99 66.15 and 68.7 ms against 41.46 and 37.86. The drain and the raw insert did not move
 * beyond the spread between runs. MongoDB, where production runs, is not concerned.
 */
export const FERRETDB_GO_THREADS = 1;

/** Starts FerretDB on its PostgreSQL backend and waits until it accepts connections. */
export async function startFerretDb(options: FerretDbOptions): Promise<ServiceProcess> {
  const postgresUrl = await overLocalSocket(options.postgresUrl);
  await ensurePostgresDatabase(postgresUrl);
  await installLookupIndexes(postgresUrl);
  mkdirSync(options.stateDir, { recursive: true });
  const service = spawnService(
    'ferretdb',
    options.binary.path,
    [
      `--listen-addr=${options.host}:${options.port}`,
      '--handler=postgresql',
      `--postgresql-url=${withLookupPlans(withPoolSize(postgresUrl, options.poolMaxConns))}`,
      '--telemetry=disable',
      `--state-dir=${options.stateDir}`,
      '--debug-addr=-',
      '--log-level=error',
    ],
    {
      logFile: options.logFile,
      env: { ...process.env, GOMAXPROCS: process.env.GOMAXPROCS ?? String(FERRETDB_GO_THREADS) },
    },
  );
  await waitForPort(options.host, options.port, { timeoutMs: 30_000, what: 'FerretDB', alive: service.alive });
  return service;
}
