import { z } from 'zod';
import { logLevel, optionalPem, port, positiveInt, text, url } from './fields.js';

/**
 * Environment fragments shared by several apps. Each app schema spreads the fragments it
 * needs, then maps the flat variables onto a structured, typed config object.
 */

export const loggingEnv = {
  LOG_LEVEL: logLevel(),
};

export const httpEnv = (defaultPort: number) => ({
  HOST: text('127.0.0.1'),
  PORT: port(defaultPort),
  /** Prometheus metrics listen apart from the API, on loopback unless told otherwise. */
  METRICS_HOST: text('127.0.0.1'),
  /** Unset: PORT + 1000 (0 when PORT is 0). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
});

/** Where an app serves `/metrics`: its own listener, never the API's port. */
export function metricsListenConfig(env: { PORT: number; METRICS_HOST: string; METRICS_PORT?: number | undefined }) {
  return { host: env.METRICS_HOST, port: env.METRICS_PORT ?? (env.PORT === 0 ? 0 : env.PORT + 1000) };
}

export const mongoEnv = {
  MONGO_URL: url('mongodb://127.0.0.1:27017', ['mongodb:', 'mongodb+srv:']),
  MONGO_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be 1-63 letters, digits, _ or -')
    .default('chat'),
  /** How long an operation waits for a reachable server before it fails (and, in the persister, is retried). */
  MONGO_TIMEOUT_MS: positiveInt(5_000),
  /**
   * How long an operation may wait for its answer before its connection is dropped and it fails
   * (and, in the persister, is retried): a server that accepts a command and never answers must
   * not stall a shard for good.
   */
  MONGO_SOCKET_TIMEOUT_MS: positiveInt(30_000),
};

export const redisEnv = {
  REDIS_URL: url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  /** Prefix of every Redis key this system writes, so several deployments (or test runs) share a server. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . or -')
    .default('chat'),
};

export const brokerEnv = {
  AMQP_URL: url('amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:']),
};

export const tokenVerifyEnv = {
  AUTH_JWKS_URL: url('http://127.0.0.1:8080/.well-known/jwks.json', ['http:', 'https:']),
  /** When set, tokens are verified with this key alone and the JWKS endpoint is not used. */
  JWT_PUBLIC_KEY: optionalPem('PUBLIC KEY'),
  JWT_ISSUER: text('chat-auth'),
  JWT_AUDIENCE: text('chat'),
};

export type Fragment<T extends Record<string, z.ZodType>> = { [K in keyof T]: z.output<T[K]> };

export function mongoConfig(env: Fragment<typeof mongoEnv>) {
  return {
    url: env.MONGO_URL,
    dbName: env.MONGO_DB,
    timeoutMs: env.MONGO_TIMEOUT_MS,
    socketTimeoutMs: env.MONGO_SOCKET_TIMEOUT_MS,
  };
}

export function redisConfig(env: Fragment<typeof redisEnv>) {
  return { url: env.REDIS_URL, prefix: env.REDIS_PREFIX };
}

export function brokerConfig(env: Fragment<typeof brokerEnv>) {
  return { url: env.AMQP_URL };
}

export function tokenVerifyConfig(env: Fragment<typeof tokenVerifyEnv>) {
  return {
    jwksUrl: env.AUTH_JWKS_URL,
    publicKeyPem: env.JWT_PUBLIC_KEY,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
  };
}

export type MongoConfig = ReturnType<typeof mongoConfig>;
export type RedisConfig = ReturnType<typeof redisConfig>;
export type BrokerConfig = ReturnType<typeof brokerConfig>;
export type TokenVerifyConfig = ReturnType<typeof tokenVerifyConfig>;
