import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { management } from './management-api.js';
import { KEYS_DIR, MONGO_DB, MONGO_URL, REDIS_PREFIX, REDIS_URL, VHOST } from './test-environment.js';

/** Creates this run's vhost; everything else (database, keys) comes into being on first use. */
export async function mochaGlobalSetup(): Promise<void> {
  const user = new URL(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1').username || 'guest';
  await management('PUT', `/vhosts/${encodeURIComponent(VHOST)}`);
  await management('PUT', `/permissions/${encodeURIComponent(VHOST)}/${encodeURIComponent(user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
}

/** Removes every trace of this run: vhost (queues, exchanges), database, Redis keys, key files. */
export async function mochaGlobalTeardown(): Promise<void> {
  await management('DELETE', `/vhosts/${encodeURIComponent(VHOST)}`);
  const mongo = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 5_000 });
  try {
    await mongo.db(MONGO_DB).dropDatabase();
  } finally {
    await mongo.close();
  }
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  rmSync(KEYS_DIR, { recursive: true, force: true });
}
