import { parseInput, USER_SEARCH_MAX_RESULTS, userSearchQuery } from '@chat/contracts';
import { type AccessTokenCheck, authenticatedUserId, requireBearer } from '@chat/runtime';
import { toPublicUser, type UserRepository } from '@chat/storage';
import { Router } from 'express';
import type { RequestQuota } from '../request-quota.js';

/** GET /users?login=<prefix>: at least 3 characters, a bounded number of searches per user. */
export function userRoutes(deps: { users: UserRepository; tokens: AccessTokenCheck; userSearchQuota: RequestQuota }) {
  const router = Router();

  router.get('/users', requireBearer(deps.tokens), async (req, res) => {
    const query = parseInput(userSearchQuery, req.query, 'query');
    await deps.userSearchQuota.take(authenticatedUserId(res));
    const users = await deps.users.searchByLoginPrefix(query.login, USER_SEARCH_MAX_RESULTS);
    res.json({ users: users.map(toPublicUser) });
  });

  return router;
}
