import { z } from 'zod';
import { displayText, id, login } from './primitives.js';

export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_CHARS = 256;
export const USER_SEARCH_MAX_RESULTS = 20;
/** Ids one `GET /users?ids=` may ask for: a page of senders or a group's visible members. */
export const USER_LOOKUP_MAX_IDS = 100;
/** Shorter prefixes would list the directory a letter at a time. */
export const USER_SEARCH_MIN_PREFIX = 3;
export const MAX_DISPLAY_NAME_CHARS = 64;
export const WEAK_PASSWORD_MESSAGE = 'is too weak: it must not be the login or one repeated character';

/**
 * A display name is a label, never an identity: every user a client is shown carries its login
 * too, and clients show the login (as `@login`) beside the name. So a name may be anything
 * readable, except one that starts with `@` and would pass for a login where both are shown.
 */
export const displayName = displayText(MAX_DISPLAY_NAME_CHARS).refine(
  (value) => !value.startsWith('@'),
  'must not start with @ (that is how logins are shown)',
);

export const password = z
  .string()
  .min(PASSWORD_MIN_CHARS, `must be at least ${PASSWORD_MIN_CHARS} characters`)
  .max(PASSWORD_MAX_CHARS, `must be at most ${PASSWORD_MAX_CHARS} characters`);

/** POST /register */
export const registerBody = z
  .object({ login, password, displayName: displayName.optional() })
  .refine((body) => isStrongEnough(body.password, body.login), {
    path: ['password'],
    message: WEAK_PASSWORD_MESSAGE,
  });

/** POST /login. The login is not pattern-checked here, so a wrong one fails like a wrong password. */
export const loginBody = z.object({
  login: z.string().min(1).max(64),
  password: z.string().min(1).max(PASSWORD_MAX_CHARS),
});

/** DELETE /me: the password again, so a stolen access token alone cannot delete an account. */
export const deleteAccountBody = z.object({ password: z.string().min(1).max(PASSWORD_MAX_CHARS) });

/** POST /token/refresh */
export const refreshBody = z.object({ refreshToken: z.string().min(1).max(200) });

/** POST /logout: the refresh token of the session to end (its whole family). */
export const logoutBody = refreshBody;

/** POST /password (Bearer): the current password again, and the new one (checked against the login by auth). */
export const changePasswordBody = z.object({
  currentPassword: z.string().min(1).max(PASSWORD_MAX_CHARS),
  newPassword: password,
});

/** PATCH /me (Bearer): what a user may change about themselves, validated as at registration. */
export const updateMeBody = z.object({ displayName });

/** GET /users?login=<prefix> */
export const userSearchQuery = z.object({
  login: z
    .string()
    .regex(
      new RegExp(`^[A-Za-z0-9_.-]{${USER_SEARCH_MIN_PREFIX},32}$`),
      `must be ${USER_SEARCH_MIN_PREFIX}-32 letters, digits, _ . or -`,
    )
    .transform((value) => value.toLowerCase()),
});

/** GET /users?ids=<id>,<id>: 1-100 user ids, comma-separated; repeats are asked once. */
export const userLookupQuery = z.object({
  ids: z
    .string()
    .max(USER_LOOKUP_MAX_IDS * 37)
    .transform((value) => value.split(',').map((part) => part.trim()))
    .pipe(
      z
        .array(id)
        .min(1)
        .max(USER_LOOKUP_MAX_IDS, `must be at most ${USER_LOOKUP_MAX_IDS} ids`)
        .transform((ids) => [...new Set(ids.map((value) => value.toLowerCase()))]),
    ),
});

export interface PublicUser {
  id: string;
  login: string;
  displayName: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Lifetime of the access token, in seconds. */
  expiresIn: number;
}

/** Not the login (any case), not one repeated character. */
export function isStrongEnough(candidate: string, userLogin: string): boolean {
  if (candidate.toLowerCase() === userLogin) return false;
  return new Set(candidate).size > 1;
}
