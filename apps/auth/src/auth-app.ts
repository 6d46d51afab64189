import type { Logger } from '@chat/logger';
import { serializeRequest } from '@chat/logger';
import {
  type AccessTokenCheck,
  contractRoutes,
  corsFor,
  corsOriginsOf,
  errorHandler,
  healthRoutes,
  MAX_HTTP_BODY_BYTES,
  notFoundHandler,
  type ReadinessCheck,
} from '@chat/runtime';
import type { RefreshTokenRepository, UserRepository } from '@chat/storage';
import type { AccessTokenSigner } from '@chat/tokens';
import express from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { AccountNotices } from './account-notices.js';
import type { AuthMetrics } from './auth-metrics.js';
import type { LoginLimiter } from './login-limiter.js';
import type { PasswordHasher } from './password-hasher.js';
import type { RequestQuota } from './request-quota.js';
import { accountRoutes } from './routes/accounts.js';
import { keyRoutes } from './routes/keys.js';
import { sessionRoutes } from './routes/sessions.js';
import { userRoutes } from './routes/users.js';
import type { SessionTokens } from './session-tokens.js';

export interface AuthAppDependencies {
  logger: Logger;
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  passwords: PasswordHasher;
  limiter: LoginLimiter;
  registerQuota: RequestQuota;
  /** User searches per user: bounds how fast one account can list others. */
  userSearchQuota: RequestQuota;
  sessions: SessionTokens;
  signer: AccessTokenSigner;
  tokens: AccessTokenCheck;
  /** Tells the edges of deleted accounts and ended sessions, so they close those sockets at once. */
  notices: AccountNotices;
  readiness: ReadinessCheck[];
  trustProxy: boolean;
  /** Browser origins allowed to call the API (CORS); `*` for any, empty for none. */
  allowedOrigins?: readonly string[];
  metrics: AuthMetrics;
}

/** The auth HTTP API as an express app; `main.ts` gives it real dependencies and a port. */
export function createAuthApp(deps: AuthAppDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ? 1 : false);
  app.use(helmet());
  app.use(
    pinoHttp({
      logger: deps.logger,
      serializers: { req: serializeRequest, res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }) },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(corsFor(corsOriginsOf(deps.allowedOrigins ?? [])));
  app.use(express.json({ limit: MAX_HTTP_BODY_BYTES, strict: true }));
  app.use(healthRoutes(deps.readiness));
  app.use(contractRoutes());
  app.use(keyRoutes(deps.signer));
  app.use(accountRoutes(deps));
  app.use(sessionRoutes(deps));
  app.use(userRoutes(deps));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
