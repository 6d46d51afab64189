import { cpus, totalmem } from 'node:os';
import { loadConfig, servicesEnv } from '@chat/config';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import type { BenchEnvironment } from './bench-environment.js';

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  rabbitmq: string;
  erlang: string;
  redis: string;
  database: string;
  databaseBackend: string;
}

/** What the figures were measured on, read from the running services themselves. */
export async function machineFacts(env: BenchEnvironment): Promise<MachineFacts> {
  const overview = await env.management('GET', '/overview');
  const redis = new Redis(env.services.redisUrl);
  const info = await redis.info('server');
  redis.disconnect();
  const mongo = await new MongoClient(env.services.mongoUrl).connect();
  const build = await mongo.db('admin').command({ buildInfo: 1 });
  await mongo.close();
  const ferret = typeof build.ferretdbVersion === 'string' ? build.ferretdbVersion : undefined;
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    rabbitmq: String(overview?.rabbitmq_version ?? 'unknown'),
    erlang: String(overview?.erlang_version ?? 'unknown'),
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    database: ferret ? `FerretDB ${ferret} (MongoDB ${build.version} wire protocol)` : `MongoDB ${build.version}`,
    databaseBackend: ferret ? await postgresVersion() : 'WiredTiger',
  };
}

async function postgresVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: loadConfig(servicesEnv).ferretPostgresUrl });
  try {
    await client.connect();
    const result = await client.query('SHOW server_version');
    return `PostgreSQL ${result.rows[0]?.server_version ?? '?'}`;
  } catch {
    return 'PostgreSQL (version not readable)';
  } finally {
    await client.end().catch(() => undefined);
  }
}
