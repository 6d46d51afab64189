import { ChatError, loginBody, logoutBody, parseInput, refreshBody } from '@chat/contracts';
import { sessionEpochOf, type UserRepository } from '@chat/storage';
import { Router } from 'express';
import type { AuthMetrics } from '../auth-metrics.js';
import type { LoginLimiter } from '../login-limiter.js';
import type { PasswordHasher } from '../password-hasher.js';
import type { SessionTokens } from '../session-tokens.js';

const BAD_CREDENTIALS = 'login or password is wrong';

/** POST /login, POST /token/refresh, POST /logout */
export function sessionRoutes(deps: {
  users: UserRepository;
  passwords: PasswordHasher;
  limiter: LoginLimiter;
  sessions: SessionTokens;
  metrics: AuthMetrics;
}) {
  const router = Router();

  router.post('/login', async (req, res) => {
    const body = parseInput(loginBody, req.body, 'body');
    const login = body.login.toLowerCase();
    const ip = req.ip ?? 'unknown';
    try {
      await deps.limiter.take(login, ip);
    } catch (error) {
      deps.metrics.logins.inc({ outcome: 'rate_limited' });
      throw error;
    }

    const user = await deps.users.findByLogin(login);
    // Unknown login and wrong password take the same path and the same time.
    const valid = user
      ? await deps.passwords.verify(user.passwordHash, body.password)
      : await deps.passwords.verifyDecoy(body.password);
    if (!user || !valid) {
      deps.metrics.logins.inc({ outcome: 'failure' });
      req.log.info({ login }, 'login failed');
      throw new ChatError('unauthorized', BAD_CREDENTIALS);
    }
    await deps.limiter.refund(login, ip);
    deps.metrics.logins.inc({ outcome: 'success' });
    if (deps.passwords.needsRehash(user.passwordHash)) {
      await deps.users.updatePasswordHash(user._id, await deps.passwords.hash(body.password));
    }
    req.log.info({ userId: user._id }, 'login succeeded');
    res.json(await deps.sessions.issue(user._id, sessionEpochOf(user)));
  });

  router.post('/token/refresh', async (req, res) => {
    const body = parseInput(refreshBody, req.body, 'body');
    try {
      res.json(await deps.sessions.refresh(body.refreshToken));
      deps.metrics.refreshes.inc({ outcome: 'success' });
    } catch (error) {
      deps.metrics.refreshes.inc({ outcome: 'refused' });
      throw error;
    }
  });

  /**
   * POST /logout {refreshToken}: the refresh token is the credential (256 random bits), so no
   * Bearer is needed, and a client whose access token expired can still log out. Always 204.
   */
  router.post('/logout', async (req, res) => {
    const body = parseInput(logoutBody, req.body, 'body');
    await deps.sessions.logout(body.refreshToken);
    req.log.info('logged out');
    res.status(204).end();
  });

  return router;
}
