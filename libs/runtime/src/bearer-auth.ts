import { ChatError } from '@chat/contracts';
import type { RequestHandler, Response } from 'express';

/** Anything that turns an access token into a user id, or throws a ChatError saying why not. */
export interface AccessTokenCheck {
  verify(token: string | undefined): Promise<{ userId: string }>;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The token of an `Authorization: Bearer <token>` header, if that is what the header holds. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined;
}

/** Rejects the request with `unauthorized` unless it carries a valid Bearer token. */
export function requireBearer(tokens: AccessTokenCheck): RequestHandler {
  return async (req, res, next) => {
    const { userId } = await tokens.verify(bearerTokenOf(req.headers.authorization));
    res.locals.userId = userId;
    next();
  };
}

/** The user a `requireBearer`-guarded request was authenticated as. */
export function authenticatedUserId(res: Response): string {
  const userId: unknown = res.locals.userId;
  if (typeof userId !== 'string') throw new ChatError('unauthorized', 'not authenticated');
  return userId;
}

/** Anything that says whether an account still exists (see `LiveAccounts`). */
export interface AccountExistence {
  exists(userId: string): Promise<boolean>;
}

/**
 * A token check that also refuses a valid token whose account was deleted since it was issued:
 * a signature proves who the token was given to, not that they are still a user.
 */
export function accountCheckedTokens(tokens: AccessTokenCheck, accounts: AccountExistence): AccessTokenCheck {
  return {
    async verify(token) {
      const verified = await tokens.verify(token);
      if (!(await accounts.exists(verified.userId))) {
        throw new ChatError('unauthorized', 'the account of this token no longer exists');
      }
      return verified;
    },
  };
}
