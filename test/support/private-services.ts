import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, servicesEnv } from '@chat/config';
import type { MongoClient } from 'mongodb';
import pg from 'pg';
import { ensureFerretDbBinary, startFerretDb } from '../../scripts/src/services/ferretdb.js';
import { startPrivateRabbitMq } from '../../scripts/src/services/rabbitmq.js';
import { startPrivateRedis } from '../../scripts/src/services/redis.js';
import type { ServiceProcess } from '../../scripts/src/services/service-process.js';
import { freePort } from './app-process.js';
import { management } from './management-api.js';
import { AMQP_URL, RUN_ID } from './test-environment.js';

let counter = 0;

/**
 * A MongoDB-protocol server of a test's own (FerretDB on its own port and PostgreSQL database),
 * which the test may kill and restart: the machine's shared services are never touched.
 */
export interface PrivateDatabase {
  url: string;
  /** SIGKILL: an outage. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops it and drops its PostgreSQL database. */
  destroy(): Promise<void>;
}

export async function startPrivateDatabase(): Promise<PrivateDatabase> {
  counter += 1;
  const binary = await ensureFerretDbBinary(() => undefined);
  const port = await freePort();
  const database = `chat_fault_${RUN_ID}_${counter}`;
  const base = new URL(loadConfig(servicesEnv).ferretPostgresUrl);
  base.pathname = `/${database}`;
  const postgresUrl = base.toString();
  const dir = mkdtempSync(join(tmpdir(), `chat-ferretdb-${RUN_ID}-`));
  const start = () =>
    startFerretDb({
      binary,
      host: '127.0.0.1',
      port,
      postgresUrl,
      stateDir: join(dir, 'state'),
      logFile: join(dir, 'ferretdb.log'),
      // A smaller pool: it shares PostgreSQL's 100 connections with the shared instance.
      poolMaxConns: 20,
    });
  let service: ServiceProcess | undefined = await start();
  return {
    url: `mongodb://127.0.0.1:${port}`,
    async kill() {
      await service?.kill();
      service = undefined;
    },
    async restart() {
      service = await start();
    },
    async destroy() {
      await service?.stop();
      service = undefined;
      base.pathname = '/postgres';
      const client = new pg.Client({ connectionString: base.toString() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A RabbitMQ vhost of a test's own on the shared broker: its queues start empty and vanish after. */
export async function isolatedVhost(tag: string): Promise<{ name: string; amqpUrl: string; remove(): Promise<void> }> {
  counter += 1;
  const name = `chat-test-${RUN_ID}-${tag}-${counter}`;
  const url = new URL(AMQP_URL);
  await management('PUT', `/vhosts/${encodeURIComponent(name)}`);
  await management('PUT', `/permissions/${encodeURIComponent(name)}/${encodeURIComponent(url.username || 'guest')}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    name,
    amqpUrl: url.toString(),
    remove: async () => {
      await management('DELETE', `/vhosts/${encodeURIComponent(name)}`);
    },
  };
}

/** Ready messages in a queue, as the management API sees it (refreshed every few seconds by the broker). */
export async function queueDepth(vhost: string, queue: string): Promise<number> {
  const info = (await management('GET', `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`)) as
    | { messages?: number }
    | undefined;
  return info?.messages ?? 0;
}

/**
 * A RabbitMQ node of a test's own (own ports, own data directory), which the test may kill and
 * start again with its data: the machine's shared broker is never touched.
 */
export interface PrivateBroker {
  amqpUrl: string;
  managementUrl: string;
  managementPort: number;
  /** Its Erlang node name and config file, for its CLI tools. */
  nodeName: string;
  configFile: string;
  /** SIGKILL of the whole node: a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same ports with the same data. */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivateBroker(settings: { managementIp?: string } = {}): Promise<PrivateBroker> {
  counter += 1;
  const [port, managementPort, distPort] = [await freePort(), await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), `chat-rabbit-${RUN_ID}-`));
  const nodeName = `chatfault${counter}-${RUN_ID}@localhost`;
  const options = { nodeName, port, managementPort, distPort, dir, ...settings };
  let service: ServiceProcess | undefined = await startPrivateRabbitMq(options);
  return {
    amqpUrl: `amqp://guest:guest@127.0.0.1:${port}`,
    managementUrl: `http://127.0.0.1:${managementPort}`,
    managementPort,
    nodeName,
    configFile: join(dir, 'rabbitmq.conf'),
    async kill() {
      await service?.kill();
      service = undefined;
    },
    async restart() {
      service = await startPrivateRabbitMq(options);
    },
    async destroy() {
      await service?.stop(20_000);
      service = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A Redis of a test's own. With `persist`, an append-only file keeps its data across a restart
 * (as production must, for BullMQ); without, a restart loses everything (as this machine's does).
 */
export async function startPrivateRedisServer(): Promise<{
  url: string;
  kill(): Promise<void>;
  restart(options: { keepData: boolean }): Promise<void>;
  destroy(): Promise<void>;
}> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `chat-redis-${RUN_ID}-`));
  let service: ServiceProcess | undefined = await startPrivateRedis({ port, dir });
  return {
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      await service?.kill();
      service = undefined;
    },
    async restart({ keepData }) {
      if (!keepData) {
        rmSync(dir, { recursive: true, force: true });
      }
      service = await startPrivateRedis({ port, dir });
    },
    async destroy() {
      await service?.stop();
      service = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Drops a test's own database on the shared server (if it got that far) and closes the client. */
export async function dropDatabaseAndClose(mongo: MongoClient | undefined, dbName: string): Promise<void> {
  await mongo
    ?.db(dbName)
    .dropDatabase()
    .catch(() => undefined);
  await mongo?.close();
}
