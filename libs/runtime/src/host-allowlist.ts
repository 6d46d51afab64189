import { ChatError } from '@chat/contracts';
import type { RequestHandler } from 'express';

/**
 * Refuses (`403 forbidden`) a request whose `Host` header is none of `allowed` (compared without
 * case). A loopback-only port is still reachable from a browser on this machine through DNS
 * rebinding: a page points its own name at 127.0.0.1, and its requests then carry that name in
 * `Host`, never one of ours.
 */
export function requireAllowedHost(allowed: readonly string[], what: string): RequestHandler {
  const hosts = new Set(allowed.map((host) => host.toLowerCase()));
  return (req, _res, next) => {
    const host = req.headers.host?.toLowerCase();
    if (host === undefined || !hosts.has(host)) {
      throw new ChatError('forbidden', `${what} answers only to its configured host names`);
    }
    next();
  };
}
