import {
  ChatError,
  changePasswordBody,
  deleteAccountBody,
  isStrongEnough,
  parseInput,
  registerBody,
  updateMeBody,
  WEAK_PASSWORD_MESSAGE,
} from '@chat/contracts';
import { type AccessTokenCheck, authenticatedUserId, requireBearer } from '@chat/runtime';
import { type RefreshTokenRepository, sessionEpochOf, toPublicUser, type UserRepository } from '@chat/storage';
import { Router } from 'express';
import { v7 as uuidv7 } from 'uuid';
import type { AccountNotices } from '../account-notices.js';
import type { AuthMetrics } from '../auth-metrics.js';
import type { LoginLimiter } from '../login-limiter.js';
import type { PasswordHasher } from '../password-hasher.js';
import type { RequestQuota } from '../request-quota.js';
import type { SessionTokens } from '../session-tokens.js';

/** POST /register, GET /me, PATCH /me, POST /password, DELETE /me */
export function accountRoutes(deps: {
  users: UserRepository;
  passwords: PasswordHasher;
  tokens: AccessTokenCheck;
  metrics: AuthMetrics;
  refreshTokens: RefreshTokenRepository;
  limiter: LoginLimiter;
  /** Registrations per client address: each costs an argon2 hash. */
  registerQuota: RequestQuota;
  sessions: SessionTokens;
  notices: AccountNotices;
}) {
  const router = Router();

  router.post('/register', async (req, res) => {
    const body = parseInput(registerBody, req.body, 'body');
    await deps.registerQuota.take(req.ip ?? 'unknown');
    const user = {
      _id: uuidv7(),
      login: body.login,
      displayName: body.displayName ?? body.login,
      passwordHash: await deps.passwords.hash(body.password),
      createdAt: new Date(),
    };
    await deps.users.create(user);
    deps.metrics.registrations.inc();
    req.log.info({ userId: user._id }, 'user registered');
    res.status(201).json(toPublicUser(user));
  });

  router.get('/me', requireBearer(deps.tokens), async (_req, res) => {
    const user = await deps.users.findById(authenticatedUserId(res));
    // A valid token for an account that no longer exists is no credential at all.
    if (!user) throw new ChatError('unauthorized', 'the account of this token no longer exists');
    res.json(toPublicUser(user));
  });

  /**
   * PATCH /me {displayName}: validated as at registration. The edges push `user.changed` to the
   * user's sockets and to everyone who shares a conversation with them; a client that missed it
   * sees the name at its next lookup (`GET /users`).
   */
  router.patch('/me', requireBearer(deps.tokens), async (req, res) => {
    const body = parseInput(updateMeBody, req.body, 'body');
    const user = await deps.users.updateDisplayName(authenticatedUserId(res), body.displayName);
    if (!user) throw new ChatError('unauthorized', 'the account of this token no longer exists');
    req.log.info({ userId: user._id }, 'display name changed');
    const profile = toPublicUser(user);
    await deps.notices.userChanged(profile).catch((error: unknown) => {
      req.log.warn(
        { err: error, userId: user._id },
        'display name change not announced; clients see it at their next lookup',
      );
    });
    res.json(profile);
  });

  /**
   * POST /password {currentPassword, newPassword}: the current password again (counted by the
   * login limiter like a login), then the account's session epoch rises: every refresh token of
   * the user is revoked, every access token issued before is refused from now on, and the edges
   * close the sockets opened with one (4004). The answer is a new pair in the new epoch, so the
   * device that changed it stays logged in (its socket reconnects with the new token).
   */
  router.post('/password', requireBearer(deps.tokens), async (req, res) => {
    const body = parseInput(changePasswordBody, req.body, 'body');
    const user = await deps.users.findById(authenticatedUserId(res));
    if (!user) throw new ChatError('unauthorized', 'the account of this token no longer exists');
    if (!isStrongEnough(body.newPassword, user.login)) {
      throw new ChatError('bad_request', `invalid newPassword: ${WEAK_PASSWORD_MESSAGE}`);
    }
    const ip = req.ip ?? 'unknown';
    await deps.limiter.take(user.login, ip);
    if (!(await deps.passwords.verify(user.passwordHash, body.currentPassword))) {
      throw new ChatError('unauthorized', 'password is wrong');
    }
    await deps.limiter.refund(user.login, ip);
    // The change's time, or one above the current epoch if this clock is behind: two changes at
    // once each raise it, and the highest stays.
    const atLeast = Math.max(Date.now(), sessionEpochOf(user) + 1);
    const sessionEpoch = await deps.users.changePassword(
      user._id,
      await deps.passwords.hash(body.newPassword),
      atLeast,
    );
    if (sessionEpoch === null) throw new ChatError('unauthorized', 'the account of this token no longer exists');
    const pair = await deps.sessions.replaceAll(user._id, sessionEpoch);
    req.log.info({ userId: user._id, sessionEpoch }, 'password changed; other sessions ended');
    await deps.notices.sessionsEnded({ userId: user._id, sessionEpoch }).catch((error: unknown) => {
      req.log.warn({ err: error, userId: user._id }, 'sessions-ended not announced; edges refuse them within seconds');
    });
    res.json(pair);
  });

  /**
   * DELETE /me {password}: the account and all its sessions end. Its access tokens stop working
   * at once everywhere: every authenticated call checks that the account exists, and the edges
   * are told, so they close its open sockets (4003). If that notice is lost (Redis down), an
   * edge refuses the account within its existence cache's few seconds anyway.
   */
  router.delete('/me', requireBearer(deps.tokens), async (req, res) => {
    const body = parseInput(deleteAccountBody, req.body, 'body');
    const user = await deps.users.findById(authenticatedUserId(res));
    if (!user) throw new ChatError('unauthorized', 'the account of this token no longer exists');
    const ip = req.ip ?? 'unknown';
    await deps.limiter.take(user.login, ip);
    if (!(await deps.passwords.verify(user.passwordHash, body.password))) {
      throw new ChatError('unauthorized', 'password is wrong');
    }
    await deps.limiter.refund(user.login, ip);
    await deps.refreshTokens.revokeAllOf(user._id, new Date());
    await deps.users.delete(user._id);
    req.log.info({ userId: user._id }, 'account deleted');
    await deps.notices.accountDeleted(user._id).catch((error: unknown) => {
      req.log.warn({ err: error, userId: user._id }, 'account deletion not announced; edges refuse it within seconds');
    });
    res.status(204).end();
  });

  return router;
}
