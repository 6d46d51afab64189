import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopbackHost } from '@chat/config';
import { execFileAsync, findExecutable, MissingServiceError } from './commands.js';
import { hostPortOf, isPortOpen, waitForPort } from './net.js';
import { type ServiceProcess, spawnService } from './service-process.js';

/**
 * Makes sure Redis answers at `redisUrl`; a local one that is installed but stopped is started
 * as a daemon, the way this machine's own start-up does, and left running.
 */
export async function ensureRedis(redisUrl: string, log: (line: string) => void): Promise<void> {
  const { host, port } = hostPortOf(redisUrl, 6379);
  if (await isPortOpen(host, port)) return;
  const server = isLoopbackHost(host) ? findExecutable('redis-server', ['/usr/sbin']) : undefined;
  if (!server) {
    throw new MissingServiceError(
      `Redis is not reachable at ${host}:${port}` +
        (isLoopbackHost(host) ? ' and is not installed (Debian: apt-get install redis-server).' : '.') +
        ' Or set REDIS_URL to a running server.',
    );
  }
  log(`starting Redis on ${port}`);
  await execFileAsync(server, ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), '--save', '']);
  await waitForPort(host, port, { timeoutMs: 15_000, what: 'Redis' });
}

/**
 * A Redis of a test's own, with an append-only file so that jobs survive the restart the test
 * inflicts (as they must in production, where Redis persists).
 */
export async function startPrivateRedis(options: { port: number; dir: string }): Promise<ServiceProcess> {
  const server = findExecutable('redis-server', ['/usr/sbin']);
  if (!server) throw new MissingServiceError('redis-server is not installed');
  mkdirSync(options.dir, { recursive: true });
  const service = spawnService(
    'redis',
    server,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--dir',
      options.dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
    ],
    { logFile: join(options.dir, 'redis.log') },
  );
  await waitForPort('127.0.0.1', options.port, { timeoutMs: 15_000, what: 'private Redis', alive: service.alive });
  return service;
}
