/**
 * Paths pino censors in every log line. Secrets can arrive as request bodies, headers, or
 * fields of our own objects, so each name is listed at the top level and one level down.
 */
const SECRET_FIELDS = [
  'password',
  'passwordHash',
  'accessToken',
  'refreshToken',
  'token',
  'secret',
  'authorization',
  'cookie',
];

export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'res.headers["set-cookie"]',
];

const TOKEN_QUERY_PARAM = /([?&](?:access_token|token|refresh_token)=)[^&#]*/gi;

/** Browsers pass the WebSocket token in the query string; strip it before a URL is logged. */
export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(TOKEN_QUERY_PARAM, '$1[Redacted]');
}
