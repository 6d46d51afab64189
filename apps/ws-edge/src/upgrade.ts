import type { IncomingMessage } from 'node:http';
import type { AllowedOrigins } from '@chat/config';
import { ChatError } from '@chat/contracts';
import { type AccountCheck, bearerTokenOf, refusalOf } from '@chat/runtime';
import type { AccessTokenVerifier } from '@chat/tokens';
import type { LocalSessions } from './local-sessions.js';

export const WEBSOCKET_PATH = '/ws';

export interface UpgradeCheckDependencies {
  tokens: AccessTokenVerifier;
  accounts: AccountCheck;
  sessions: LocalSessions;
  allowedOrigins: AllowedOrigins;
  maxConnectionsPerUser: number;
}

export interface AuthenticatedUpgrade {
  userId: string;
  expiresAtMs: number;
  sessionEpoch: number;
}

/** Why an upgrade is refused, as the HTTP status the client gets before any WebSocket exists. */
export class UpgradeRefusal extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'UpgradeRefusal';
    this.status = status;
    this.code = code;
  }
}

/**
 * Checks an HTTP upgrade before the WebSocket handshake: the path, the Origin (browsers send
 * one; wscat and servers do not, and pass), the access token from `Authorization: Bearer` or
 * `?access_token=`, that its user still exists and its session did not end, and the user's
 * connection count on this node.
 */
export async function authenticateUpgrade(
  request: IncomingMessage,
  deps: UpgradeCheckDependencies,
): Promise<AuthenticatedUpgrade> {
  let url: URL;
  try {
    url = new URL(request.url ?? '/', 'http://edge');
  } catch {
    throw new UpgradeRefusal(400, 'bad_request', 'the request target is not a valid URL');
  }
  if (url.pathname !== WEBSOCKET_PATH)
    throw new UpgradeRefusal(404, 'not_found', `WebSocket endpoint is ${WEBSOCKET_PATH}`);
  const origin = request.headers.origin;
  const origins = deps.allowedOrigins;
  if (origin !== undefined && !origins.any && !origins.origins.includes(origin)) {
    throw new UpgradeRefusal(403, 'forbidden', 'origin not allowed');
  }
  const token = bearerTokenOf(request.headers.authorization) ?? url.searchParams.get('access_token') ?? undefined;
  let verified: AuthenticatedUpgrade;
  try {
    verified = await deps.tokens.verify(token);
  } catch (error) {
    if (error instanceof ChatError) {
      const status = error.code === 'unauthorized' ? 401 : 503;
      throw new UpgradeRefusal(status, error.code, error.message);
    }
    throw error;
  }
  const verdict = await deps.accounts.verdict(verified.userId, verified.sessionEpoch);
  if (verdict !== 'live') throw new UpgradeRefusal(401, 'unauthorized', refusalOf(verdict).message);
  if (deps.sessions.countOf(verified.userId) >= deps.maxConnectionsPerUser) {
    throw new UpgradeRefusal(429, 'rate_limited', 'too many connections for this user');
  }
  return verified;
}
