import { z } from 'zod';
import { flag, optionalPem, originList, positiveInt, text } from '../fields.js';
import { httpEnv, loggingEnv, metricsListenConfig, mongoConfig, mongoEnv, redisConfig, redisEnv } from '../shared.js';

export const authEnv = z
  .object({
    ...loggingEnv,
    ...httpEnv(8080),
    ...mongoEnv,
    ...redisEnv,
    /** PEM of the ES256 (P-256) signing key. Unset: a key pair is generated once into JWT_KEYS_DIR. */
    JWT_PRIVATE_KEY: optionalPem('PRIVATE KEY'),
    JWT_KEYS_DIR: text('.keys'),
    JWT_ISSUER: text('chat-auth'),
    JWT_AUDIENCE: text('chat'),
    ACCESS_TOKEN_TTL_S: positiveInt(900),
    REFRESH_TOKEN_TTL_S: positiveInt(30 * 24 * 3600),
    /** argon2id cost; the defaults are the argon2 package's own, above OWASP's minimum (19 MiB, t=2, p=1). */
    ARGON2_MEMORY_KIB: positiveInt(65_536).pipe(z.number().min(19_456)),
    ARGON2_TIME_COST: positiveInt(3).pipe(z.number().min(2)),
    ARGON2_PARALLELISM: positiveInt(4),
    LOGIN_MAX_FAILURES_PER_LOGIN_ADDRESS: positiveInt(10),
    /** Across all addresses: high enough that an attacker elsewhere cannot lock a user out cheaply. */
    LOGIN_MAX_FAILURES_PER_LOGIN: positiveInt(500),
    LOGIN_MAX_FAILURES_PER_IP: positiveInt(100),
    LOGIN_FAILURE_WINDOW_S: positiveInt(900),
    /** Registrations per client address per window: each one costs an argon2 hash. */
    REGISTER_MAX_PER_IP: positiveInt(20),
    REGISTER_WINDOW_S: positiveInt(3600),
    /** `GET /users` searches per user per window: enough for a contact picker, too few to list everyone. */
    USER_SEARCH_MAX_PER_USER: positiveInt(30),
    USER_SEARCH_WINDOW_S: positiveInt(60),
    /** Trust X-Forwarded-For from one proxy hop (set behind a load balancer), so the per-IP limit sees clients. */
    TRUST_PROXY: flag(false),
    /** Browser origins whose pages may call this API (CORS), or `*` for any. Unset: none. */
    AUTH_ALLOWED_ORIGINS: originList(),
  })
  .transform((env) => ({
    logLevel: env.LOG_LEVEL,
    http: { host: env.HOST, port: env.PORT, trustProxy: env.TRUST_PROXY, allowedOrigins: env.AUTH_ALLOWED_ORIGINS },
    metrics: metricsListenConfig(env),
    mongo: mongoConfig(env),
    redis: redisConfig(env),
    tokens: {
      privateKeyPem: env.JWT_PRIVATE_KEY,
      keysDir: env.JWT_KEYS_DIR,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTtlS: env.ACCESS_TOKEN_TTL_S,
      refreshTtlS: env.REFRESH_TOKEN_TTL_S,
    },
    argon2: { memoryCost: env.ARGON2_MEMORY_KIB, timeCost: env.ARGON2_TIME_COST, parallelism: env.ARGON2_PARALLELISM },
    loginLimits: {
      perLoginAddress: env.LOGIN_MAX_FAILURES_PER_LOGIN_ADDRESS,
      perLogin: env.LOGIN_MAX_FAILURES_PER_LOGIN,
      perIp: env.LOGIN_MAX_FAILURES_PER_IP,
      windowS: env.LOGIN_FAILURE_WINDOW_S,
    },
    registerLimits: { points: env.REGISTER_MAX_PER_IP, windowS: env.REGISTER_WINDOW_S },
    userSearchLimits: { points: env.USER_SEARCH_MAX_PER_USER, windowS: env.USER_SEARCH_WINDOW_S },
  }));

export type AuthConfig = z.output<typeof authEnv>;
