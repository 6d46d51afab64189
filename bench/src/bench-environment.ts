import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, servicesEnv } from '@chat/config';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';

/**
 * The benchmark's own corner of the shared services: a RabbitMQ vhost, a MongoDB database, a
 * Redis key prefix and a signing-key directory, all removed at the end, as a test run does.
 */
export class BenchEnvironment {
  readonly runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  readonly vhost = `chat-bench-${this.runId}`;
  readonly mongoDb = `chat_bench_${this.runId}`;
  readonly redisPrefix = `chat-bench-${this.runId}`;
  readonly keysDir = mkdtempSync(join(tmpdir(), 'chat-bench-keys-'));
  readonly services = loadConfig(servicesEnv);
  /** `BENCH_CPU_PROFILE_DIR`: every app the benchmark starts writes a V8 CPU profile there when it stops. */
  readonly cpuProfileDir = process.env.BENCH_CPU_PROFILE_DIR || undefined;
  readonly amqpUrl: string;
  readonly managementUrl: string;
  readonly #auth: string;

  constructor() {
    const amqp = new URL(this.services.amqpUrl);
    this.#auth = `Basic ${Buffer.from(`${decodeURIComponent(amqp.username || 'guest')}:${decodeURIComponent(amqp.password || 'guest')}`).toString('base64')}`;
    this.managementUrl = `http://${amqp.hostname}:${this.services.rabbitManagementPort}`;
    amqp.pathname = `/${encodeURIComponent(this.vhost)}`;
    this.amqpUrl = amqp.toString();
  }

  /** What every app of the benchmark starts with. */
  appEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      LOG_LEVEL: 'warn',
      AMQP_URL: this.amqpUrl,
      MONGO_URL: this.services.mongoUrl,
      MONGO_DB: this.mongoDb,
      REDIS_URL: this.services.redisUrl,
      REDIS_PREFIX: this.redisPrefix,
      JWT_KEYS_DIR: this.keysDir,
      ...extra,
    };
  }

  async management(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${this.managementUrl}/api${path}`, {
      method,
      headers: { authorization: this.#auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok && response.status !== 404) throw new Error(`management ${method} ${path}: ${response.status}`);
    const text = await response.text();
    return text ? JSON.parse(text) : undefined;
  }

  async create(): Promise<void> {
    const user = new URL(this.services.amqpUrl).username || 'guest';
    await this.management('PUT', `/vhosts/${encodeURIComponent(this.vhost)}`);
    await this.management('PUT', `/permissions/${encodeURIComponent(this.vhost)}/${encodeURIComponent(user)}`, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });
  }

  async destroy(): Promise<void> {
    await this.management('DELETE', `/vhosts/${encodeURIComponent(this.vhost)}`).catch(() => undefined);
    const mongo = new MongoClient(this.services.mongoUrl);
    try {
      await mongo.db(this.mongoDb).dropDatabase();
    } finally {
      await mongo.close();
    }
    const redis = new Redis(this.services.redisUrl);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.redisPrefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    rmSync(this.keysDir, { recursive: true, force: true });
  }
}
