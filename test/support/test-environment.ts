import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, servicesEnv } from '@chat/config';

/**
 * One test run's isolation: its own RabbitMQ vhost, MongoDB database and Redis key prefix, so
 * runs on one machine (or a run beside `npm start`) never see each other's data.
 */
export const RUN_ID = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

const services = loadConfig(servicesEnv);
const amqp = new URL(services.amqpUrl);

export const VHOST = `chat-test-${RUN_ID}`;
export const MONGO_DB = `chat_test_${RUN_ID}`;
export const REDIS_PREFIX = `chat-test-${RUN_ID}`;
export const KEYS_DIR = mkdtempSync(join(tmpdir(), `chat-test-keys-${RUN_ID}-`));

export const AMQP_URL = (() => {
  const url = new URL(services.amqpUrl);
  url.pathname = `/${encodeURIComponent(VHOST)}`;
  return url.toString();
})();

export const MANAGEMENT_URL = `http://${amqp.hostname}:${services.rabbitManagementPort}`;
export const MANAGEMENT_AUTH = `Basic ${Buffer.from(
  `${decodeURIComponent(amqp.username || 'guest')}:${decodeURIComponent(amqp.password || 'guest')}`,
).toString('base64')}`;

export const REDIS_URL = services.redisUrl;
export const MONGO_URL = services.mongoUrl;

/** The environment every app of this run starts with; tests add ports and their own knobs. */
export const appEnvironment: Record<string, string> = {
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
  AMQP_URL,
  MONGO_URL,
  MONGO_DB,
  REDIS_URL,
  REDIS_PREFIX,
  JWT_KEYS_DIR: KEYS_DIR,
  // argon2id at OWASP's minimum: real hashing, fast enough for suites that register many users.
  ARGON2_MEMORY_KIB: '19456',
  ARGON2_TIME_COST: '2',
  ARGON2_PARALLELISM: '1',
  // Suites register many users from loopback; auth.test.ts checks the registration limit on its own app.
  REGISTER_MAX_PER_IP: '1000000',
};
