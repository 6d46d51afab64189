import { type AccountVerdict, ChatError } from '@chat/contracts';
import type { RequestHandler, Response } from 'express';

/** Anything that turns an access token into a user id, or throws a ChatError saying why not. */
export interface AccessTokenCheck {
  verify(token: string | undefined): Promise<{ userId: string }>;
}

/** A token check that also says which session epoch the token was issued in. */
export interface SessionTokenCheck {
  verify(token: string | undefined): Promise<{ userId: string; sessionEpoch: number }>;
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

/** Anything that says whether a valid token's account still accepts it (see `LiveAccounts`). */
export interface AccountCheck {
  verdict(userId: string, sessionEpoch: number): Promise<AccountVerdict>;
}

/** Why a token whose signature is good is refused anyway, as a client is told it. */
export function refusalOf(verdict: Exclude<AccountVerdict, 'live'>): ChatError {
  return verdict === 'deleted'
    ? new ChatError('unauthorized', 'the account of this token no longer exists')
    : new ChatError('unauthorized', 'this session ended (the password was changed): log in again');
}

/**
 * A token check that also refuses a valid token whose account was deleted, or whose session
 * ended by a password change, since it was issued: a signature proves who the token was given
 * to, not that they are still a user or that the session still stands.
 */
export function accountCheckedTokens(tokens: SessionTokenCheck, accounts: AccountCheck): AccessTokenCheck {
  return {
    async verify(token) {
      const verified = await tokens.verify(token);
      const verdict = await accounts.verdict(verified.userId, verified.sessionEpoch);
      if (verdict !== 'live') throw refusalOf(verdict);
      return verified;
    },
  };
}
