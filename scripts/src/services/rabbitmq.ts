import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopbackHost } from '@chat/config';
import amqp from 'amqplib';
import { execFileAsync, findExecutable, MissingServiceError } from './commands.js';
import { hostPortOf, isPortOpen, waitForPort } from './net.js';
import { keepManagementOnLoopback, type RabbitNode } from './rabbitmq-management.js';
import { type ServiceProcess, spawnService } from './service-process.js';

export const REQUIRED_PLUGINS = ['rabbitmq_management', 'rabbitmq_consistent_hash_exchange'];
const SBIN = ['/usr/sbin', '/usr/lib/rabbitmq/bin'];
const SYSTEM_CONFIG_FILE = '/etc/rabbitmq/rabbitmq.conf';

/**
 * Makes sure the broker at `amqpUrl` is up with the management console and the consistent-hash
 * exchange. A local broker that is installed but stopped is started the way its package does
 * (`rabbitmq-server -detached`), and left running like any system service.
 */
export async function ensureRabbitMq(amqpUrl: string, managementPort: number, log: (line: string) => void) {
  const { host, port } = hostPortOf(amqpUrl, 5672);
  if (!(await isPortOpen(host, port))) {
    const server = isLoopbackHost(host) ? findExecutable('rabbitmq-server', SBIN) : undefined;
    if (!server) {
      throw new MissingServiceError(
        `RabbitMQ is not reachable at ${host}:${port}` +
          (isLoopbackHost(host) ? ' and is not installed (Debian: apt-get install rabbitmq-server).' : '.') +
          ' Or set AMQP_URL to a running broker.',
      );
    }
    log(`starting RabbitMQ (${server} -detached)`);
    await execFileAsync(server, ['-detached']);
    await waitForPort(host, port, { timeoutMs: 90_000, what: 'RabbitMQ' });
  }
  if (isLoopbackHost(host)) await keepLocalManagementPrivate(managementPort, log);
  if (await pluginsReady(amqpUrl, host, managementPort)) return;
  const plugins = isLoopbackHost(host) ? findExecutable('rabbitmq-plugins', SBIN) : undefined;
  if (!plugins) {
    throw new MissingServiceError(
      `the broker at ${host}:${port} lacks a plugin this system needs; enable them on it: rabbitmq-plugins enable ${REQUIRED_PLUGINS.join(' ')}`,
    );
  }
  log(`enabling RabbitMQ plugins: ${REQUIRED_PLUGINS.join(', ')}`);
  await execFileAsync(plugins, ['enable', ...REQUIRED_PLUGINS]);
  await waitForPort(host, managementPort, { timeoutMs: 30_000, what: 'RabbitMQ management' });
  if (!(await pluginsReady(amqpUrl, host, managementPort))) {
    throw new MissingServiceError(`RabbitMQ plugins ${REQUIRED_PLUGINS.join(', ')} did not come up`);
  }
}

/**
 * The machine's own broker, reached with its packaged CLI (which switches to the rabbitmq user
 * and its cookie). A broker this script cannot administer is left as it is, with a warning.
 */
async function keepLocalManagementPrivate(managementPort: number, log: (line: string) => void): Promise<void> {
  const ctl = findExecutable('rabbitmqctl', SBIN);
  if (!ctl) return;
  const node: RabbitNode = { ctl, configFile: process.env.RABBITMQ_CONFIG_FILE ?? SYSTEM_CONFIG_FILE };
  try {
    await keepManagementOnLoopback(node, managementPort, log);
  } catch (error) {
    log(`could not keep RabbitMQ management on 127.0.0.1: ${error instanceof Error ? error.message : error}`);
  }
}

/** True when a consistent-hash exchange can be declared and the management port answers. */
async function pluginsReady(amqpUrl: string, host: string, managementPort: number): Promise<boolean> {
  if (!(await isPortOpen(host, managementPort))) return false;
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const probe = `chat.plugin-probe.${process.pid}`;
    await channel.assertExchange(probe, 'x-consistent-hash', { durable: false, autoDelete: true });
    await channel.deleteExchange(probe);
    return true;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export interface PrivateRabbitMqOptions {
  /** Erlang node name, unique on this host. */
  nodeName: string;
  port: number;
  managementPort: number;
  /** Erlang distribution port; must not collide with another node's. */
  distPort: number;
  /** Where its management console listens (default 127.0.0.1); '' leaves RabbitMQ's own default, every interface. */
  managementIp?: string;
  dir: string;
}

/**
 * A broker of a test's own, on its own ports and data directory, that the test may kill and
 * restart without touching the machine's shared broker. Its data survives a restart.
 */
export async function startPrivateRabbitMq(options: PrivateRabbitMqOptions): Promise<ServiceProcess> {
  const server = findExecutable('rabbitmq-server', ['/usr/lib/rabbitmq/bin']);
  if (!server) throw new MissingServiceError('rabbitmq-server is not installed');
  // The /usr/sbin wrapper switches to the rabbitmq user; the real script runs as us.
  const script = '/usr/lib/rabbitmq/bin/rabbitmq-server';
  mkdirSync(options.dir, { recursive: true });
  const configFile = join(options.dir, 'rabbitmq.conf');
  // Written at the first start only: a restart runs on the config as the node's admin left it.
  if (!existsSync(configFile)) {
    writeFileSync(
      configFile,
      [
        `listeners.tcp.default = 127.0.0.1:${options.port}`,
        `management.tcp.port = ${options.managementPort}`,
        ...(options.managementIp === '' ? [] : [`management.tcp.ip = ${options.managementIp ?? '127.0.0.1'}`]),
        '',
      ].join('\n'),
    );
  }
  const pluginsFile = join(options.dir, 'enabled_plugins');
  writeFileSync(pluginsFile, `[${REQUIRED_PLUGINS.join(',')}].\n`);
  const service = spawnService('rabbitmq', script, [], {
    logFile: join(options.dir, 'server.log'),
    env: {
      ...process.env,
      RABBITMQ_NODENAME: options.nodeName,
      RABBITMQ_CONFIG_FILE: configFile,
      RABBITMQ_ENABLED_PLUGINS_FILE: pluginsFile,
      RABBITMQ_MNESIA_BASE: join(options.dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(options.dir, 'log'),
      RABBITMQ_PID_FILE: join(options.dir, 'beam.pid'),
      RABBITMQ_DIST_PORT: String(options.distPort),
    },
  });
  await waitForPort('127.0.0.1', options.port, { timeoutMs: 90_000, what: 'private RabbitMQ', alive: service.alive });
  await waitForPort('127.0.0.1', options.managementPort, { timeoutMs: 30_000, what: 'private RabbitMQ management' });
  return service;
}
