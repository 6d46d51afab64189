import { parseInput, USER_SEARCH_MAX_RESULTS, userSearchQuery } from '@chat/contracts';
import { type AccessTokenCheck, requireBearer } from '@chat/runtime';
import { toPublicUser, type UserRepository } from '@chat/storage';
import { Router } from 'express';

/** GET /users?login=<prefix> */
export function userRoutes(deps: { users: UserRepository; tokens: AccessTokenCheck }) {
  const router = Router();

  router.get('/users', requireBearer(deps.tokens), async (req, res) => {
    const query = parseInput(userSearchQuery, req.query, 'query');
    const users = await deps.users.searchByLoginPrefix(query.login, USER_SEARCH_MAX_RESULTS);
    res.json({ users: users.map(toPublicUser) });
  });

  return router;
}
