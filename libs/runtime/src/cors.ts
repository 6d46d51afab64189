import { ChatError } from '@chat/contracts';
import type { RequestHandler } from 'express';

/** Which browser origins may call an HTTP API from a page: any (`*` configured), or exactly these. */
export type CorsOrigins = { any: true } | { any: false; origins: readonly string[] };

const ALLOWED_METHODS = 'GET, POST, PATCH, DELETE';
/** Bearer tokens and JSON bodies; no cookies, so credentials are never allowed. */
const ALLOWED_HEADERS = 'Authorization, Content-Type';
const EXPOSED_HEADERS = 'Retry-After';
const PREFLIGHT_MAX_AGE_S = 600;

/** `*` allows any origin, a list allows exactly those, and an empty list none (no CORS at all). */
export function corsOriginsOf(configured: readonly string[]): CorsOrigins {
  if (configured.includes('*')) return { any: true };
  return { any: false, origins: configured.map((origin) => origin.toLowerCase()) };
}

/**
 * CORS for the configured origins only. A preflight (`OPTIONS` with `Origin` and
 * `Access-Control-Request-Method`) is answered here, before any authentication: `204` with the
 * `Access-Control-Allow-*` headers for an allowed origin, `403 forbidden` for any other. Other
 * requests from an allowed origin get `Access-Control-Allow-Origin`; the rest get no CORS header,
 * so the browser keeps the answer from the page. Never `Access-Control-Allow-Credentials`.
 */
export function corsFor(allowed: CorsOrigins): RequestHandler {
  const origins = new Set(allowed.any ? [] : allowed.origins);
  const allows = (origin: string) => allowed.any || origins.has(origin.toLowerCase());
  return (req, res, next) => {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'];
    if (origin !== undefined) res.vary('Origin');
    if (origin === undefined || !allows(origin)) {
      if (preflight) throw new ChatError('forbidden', 'this origin may not call this API');
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', allowed.any ? '*' : origin);
    if (!preflight) {
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_S));
    res.status(204).end();
  };
}
