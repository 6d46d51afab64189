import { z } from 'zod';

/**
 * The Redis pub/sub channel on which auth announces a deleted account (the message is the user
 * id), so every edge refuses that account's tokens and closes its sockets at once, not when
 * its cached "exists" expires. A notice missed while the edge's subscription was down is covered
 * by dropping its cache when it subscribes again; one lost otherwise costs at most that expiry
 * (ACCOUNT_CHECK_TTL_MS).
 */
export function accountDeletedChannel(redisPrefix: string): string {
  return `${redisPrefix}:accounts:deleted`;
}

/**
 * The channel on which auth announces that an account's sessions before `sessionEpoch` ended (a
 * password change): edges close the sockets authenticated in an older epoch at once. A missed
 * notice costs at most the same expiry, after which the next frame on such a socket closes it.
 */
export function sessionsEndedChannel(redisPrefix: string): string {
  return `${redisPrefix}:accounts:sessions-ended`;
}

export const sessionsEndedNotice = z.object({ userId: z.string(), sessionEpoch: z.number().int().nonnegative() });
export type SessionsEndedNotice = z.infer<typeof sessionsEndedNotice>;

/**
 * The channel on which auth announces a user's new public profile (`PATCH /me`, the message is
 * the profile as `publicUserAnswer` describes it): edges push
 * `user.changed` to the user's own sockets and to every socket that shares a conversation with
 * them. A missed notice costs only freshness: clients still see the name at their next lookup.
 */
export function userChangedChannel(redisPrefix: string): string {
  return `${redisPrefix}:accounts:user-changed`;
}

/**
 * What a valid token's account says of it: `live`; `deleted` (the account is gone); `ended` (the
 * token's session epoch is below the account's: the password changed since it was issued).
 */
export type AccountVerdict = 'live' | 'deleted' | 'ended';
