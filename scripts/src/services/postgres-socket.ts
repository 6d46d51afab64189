import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopbackHost } from '@chat/config';
import pg from 'pg';
import { hostPortOf } from './net.js';

/** Where PostgreSQL packages put the server's Unix socket: Debian's and Ubuntu's, then the upstream default. */
export const POSTGRES_SOCKET_DIRECTORIES = ['/var/run/postgresql', '/tmp'] as const;

const PROBE_TIMEOUT_MS = 2_000;

/**
 * The same PostgreSQL URL over the server's Unix socket, when the URL names a PostgreSQL on
 * this machine by TCP loopback, its socket exists and accepts the URL's user; otherwise the URL
 * as it is. FerretDB sends PostgreSQL a statement or more for every command, and over loopback
 * TCP each one pays the kernel's TCP path twice: measured on two cores
 * (`npm run bench -- --only baselines,drain`, two runs each way, alternated), PostgreSQL's CPU
 * per drained message fell from 172-196 µs to 141-154 and the machine's from 678-744 to 600-631.
 * A URL that already says where to connect (a `host` parameter) is left alone.
 */
export async function overLocalSocket(postgresUrl: string): Promise<string> {
  const url = new URL(postgresUrl);
  const { host, port } = hostPortOf(postgresUrl, 5432);
  if (url.searchParams.has('host') || !isLoopbackHost(host)) return postgresUrl;
  for (const directory of POSTGRES_SOCKET_DIRECTORIES) {
    if (!existsSync(join(directory, `.s.PGSQL.${port}`))) continue;
    const candidate = new URL(url);
    candidate.searchParams.set('host', directory);
    if (await acceptsOverSocket(candidate)) return candidate.toString();
  }
  return postgresUrl;
}

/**
 * Whether the server lets this user in over the socket (local connections often authenticate
 * differently, by peer, from TCP ones) and the connection really is local. Asks the `postgres`
 * database, since the URL's own may not exist yet.
 */
async function acceptsOverSocket(url: URL): Promise<boolean> {
  const probe = new URL(url);
  probe.pathname = '/postgres';
  const client = new pg.Client({ connectionString: probe.toString(), connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  try {
    await client.connect();
    const answer = await client.query<{ local: boolean }>('SELECT inet_client_addr() IS NULL AS local');
    return answer.rows[0]?.local === true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
