import { ChatError, parseInput, USER_SEARCH_MAX_RESULTS, userLookupQuery, userSearchQuery } from '@chat/contracts';
import { type AccessTokenCheck, authenticatedUserId, requireBearer } from '@chat/runtime';
import { toPublicUser, type UserRepository } from '@chat/storage';
import { Router } from 'express';
import type { RequestQuota } from '../request-quota.js';

/**
 * GET /users?login=<prefix>: at least 3 characters, a bounded number of searches per user.
 * GET /users?ids=<id>,<id>: the public form of up to 100 users by id (names for the ids a client
 * sees as senders and members), in the order asked, unknown ids left out. Ids are UUIDs nobody
 * guesses, so a lookup lists nothing new and does not spend the search quota.
 */
export function userRoutes(deps: { users: UserRepository; tokens: AccessTokenCheck; userSearchQuota: RequestQuota }) {
  const router = Router();

  router.get('/users', requireBearer(deps.tokens), async (req, res) => {
    if (req.query.ids !== undefined) {
      if (req.query.login !== undefined)
        throw new ChatError('bad_request', 'invalid query: give login or ids, not both');
      const { ids } = parseInput(userLookupQuery, req.query, 'query');
      const found = new Map((await deps.users.findManyByIds(ids)).map((user) => [user._id, user]));
      res.json({
        users: ids.flatMap((userId) => {
          const user = found.get(userId);
          return user ? [toPublicUser(user)] : [];
        }),
      });
      return;
    }
    const query = parseInput(userSearchQuery, req.query, 'query');
    await deps.userSearchQuota.take(authenticatedUserId(res));
    const users = await deps.users.searchByLoginPrefix(query.login, USER_SEARCH_MAX_RESULTS);
    res.json({ users: users.map(toPublicUser) });
  });

  return router;
}
