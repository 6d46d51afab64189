import { createHash, timingSafeEqual } from 'node:crypto';
import { ChatError } from '@chat/contracts';
import type { RequestHandler } from 'express';
import { bearerTokenOf } from './bearer-auth.js';

/** What an operator console accepts; at least one of the two is set. */
export interface OperatorCredentials {
  /** Sent as `Authorization: Bearer <token>` (scripts, curl). */
  token?: string | undefined;
  /** HTTP basic auth, which a browser asks for on its own. */
  basic?: { user: string; password: string } | undefined;
}

const BASIC = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i;

/** The user and password of an `Authorization: Basic <base64(user:password)>` header. */
export function basicCredentialsOf(header: string | undefined): { user: string; password: string } | undefined {
  const encoded = header ? BASIC.exec(header)?.[1] : undefined;
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Lets a request through only with one of the configured credentials; otherwise `401
 * unauthorized` with a `WWW-Authenticate` challenge for each kind configured (the Basic one makes
 * a browser ask for a login).
 */
export function requireOperatorCredentials(credentials: OperatorCredentials, realm: string): RequestHandler {
  const challenges = [
    ...(credentials.basic ? [`Basic realm="${realm}", charset="UTF-8"`] : []),
    ...(credentials.token ? [`Bearer realm="${realm}"`] : []),
  ];
  return (req, res, next) => {
    if (presentsCredentials(req.headers.authorization, credentials)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', challenges);
    throw new ChatError('unauthorized', `${realm}: credentials required`);
  };
}

function presentsCredentials(header: string | undefined, credentials: OperatorCredentials): boolean {
  const token = bearerTokenOf(header);
  if (token !== undefined) return credentials.token !== undefined && sameSecret(token, credentials.token);
  const basic = basicCredentialsOf(header);
  if (basic === undefined || credentials.basic === undefined) return false;
  // Both compared, always: how long the answer takes must not tell which of the two was wrong.
  const userMatches = sameSecret(basic.user, credentials.basic.user);
  const passwordMatches = sameSecret(basic.password, credentials.basic.password);
  return userMatches && passwordMatches;
}

/** Compares digests, so the time taken depends on neither secret's content nor its length. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
