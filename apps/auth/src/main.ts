import { createPublicKey } from 'node:crypto';
import { authEnv, loadConfig } from '@chat/config';
import { createLogger } from '@chat/logger';
import {
  accountCheckedTokens,
  closeServer,
  connectTo,
  createMetricsRegistry,
  listen,
  runApp,
  startMetricsServer,
} from '@chat/runtime';
import { connectMongo, LiveAccounts, RefreshTokenRepository, UserRepository } from '@chat/storage';
import { AccessTokenSigner, AccessTokenVerifier, loadOrCreateSigningKey } from '@chat/tokens';
import { Redis } from 'ioredis';
import { redisAccountNotices } from './account-notices.js';
import { createAuthApp } from './auth-app.js';
import { authMetrics } from './auth-metrics.js';
import { LoginLimiter } from './login-limiter.js';
import { PasswordHasher } from './password-hasher.js';
import { RequestQuota } from './request-quota.js';
import { SessionTokens } from './session-tokens.js';

const EXPIRED_TOKEN_SWEEP_INTERVAL_MS = 60 * 60_000;

runApp('auth', async () => {
  const config = loadConfig(authEnv);
  const logger = createLogger({ app: 'auth', level: config.logLevel });

  const mongo = await connectTo('MongoDB', config.mongo.url, () =>
    connectMongo({ ...config.mongo, appName: 'chat-auth', logger }),
  );
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await connectTo('Redis', config.redis.url, () => redis.connect());

  const signingKey = loadOrCreateSigningKey(config.tokens);
  const signer = new AccessTokenSigner(signingKey, { ...config.tokens, ttlS: config.tokens.accessTtlS });
  // Auth checks its own tokens with its own public key: no JWKS round trip to itself.
  const verifier = new AccessTokenVerifier({
    publicKeyPem: createPublicKey(signingKey.privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    issuer: config.tokens.issuer,
    audience: config.tokens.audience,
  });
  const refreshTokens = new RefreshTokenRepository(mongo.collections.refreshTokens, mongo.dialect);
  const registry = createMetricsRegistry('auth', String(config.http.port));

  const users = new UserRepository(mongo.collections.users, mongo.dialect);
  const app = createAuthApp({
    logger,
    users,
    refreshTokens,
    passwords: new PasswordHasher(config.argon2),
    limiter: new LoginLimiter(redis, config.redis.prefix, config.loginLimits),
    registerQuota: new RequestQuota(redis, {
      keyPrefix: config.redis.prefix,
      name: 'register:ip',
      refusal: 'too many registrations, try again later',
      limits: config.registerLimits,
    }),
    userSearchQuota: new RequestQuota(redis, {
      keyPrefix: config.redis.prefix,
      name: 'user-search:user',
      refusal: 'too many user searches, try again later',
      limits: config.userSearchLimits,
    }),
    sessions: new SessionTokens(signer, refreshTokens, { refreshTtlS: config.tokens.refreshTtlS }),
    signer,
    // Every authenticated call asks the database whether the account still exists (no cache:
    // auth's calls are few, and a deletion must hold at once on every auth replica).
    tokens: accountCheckedTokens(verifier, new LiveAccounts(users, 0)),
    notices: redisAccountNotices(redis, config.redis.prefix),
    readiness: [
      { name: 'mongodb', check: () => mongo.ping() },
      { name: 'redis', check: async () => void (await redis.ping()) },
    ],
    trustProxy: config.http.trustProxy,
    allowedOrigins: config.http.allowedOrigins,
    metrics: authMetrics(registry),
  });
  const server = await listen(app, config.http);
  const metricsServer = await startMetricsServer(registry, config.metrics);
  logger.info({ host: config.http.host, port: config.http.port, kid: signingKey.publicJwk.kid }, 'auth listening');

  const sweep = setInterval(() => {
    refreshTokens.deleteExpired(new Date()).then(
      (deleted) => deleted > 0 && logger.info({ deleted }, 'expired refresh tokens removed'),
      (err: unknown) => logger.warn({ err }, 'expired refresh token sweep failed'),
    );
  }, EXPIRED_TOKEN_SWEEP_INTERVAL_MS);
  sweep.unref();

  return {
    logger,
    async stop() {
      clearInterval(sweep);
      await closeServer(server);
      await closeServer(metricsServer);
      await Promise.all([mongo.close(), redis.quit()]);
    },
  };
});
