import { type Logger, type LoggerOptions, pino } from 'pino';
import { REDACT_PATHS, redactUrl } from './redaction.js';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /** The app (and instance) name, on every line as `app`. */
  app: string;
  level: LoggerOptions['level'];
  /** Extra fields on every line, such as `nodeId`. */
  base?: Record<string, unknown>;
}

/**
 * A request as a serializer gets it: pino-http hands over its own summary (with `remoteAddress`)
 * and the request itself as `raw`; a plain `IncomingMessage` (logged by hand) has `socket`.
 */
interface LoggableRequest {
  method?: string;
  url?: string;
  id?: unknown;
  remoteAddress?: string;
  socket?: { remoteAddress?: string };
  /** Express's request: `ip` is the client's address, from X-Forwarded-For when TRUST_PROXY is set. */
  raw?: { ip?: string; socket?: { remoteAddress?: string } };
}

/**
 * Request serializer that keeps what an operator needs and never a header or a query-string
 * token: the peer's address, and the client's when a trusted proxy forwarded it.
 */
export function serializeRequest(req: LoggableRequest): Record<string, unknown> {
  const remoteAddress = req.remoteAddress ?? req.raw?.socket?.remoteAddress ?? req.socket?.remoteAddress;
  const clientAddress = req.raw?.ip ?? remoteAddress;
  return {
    id: req.id,
    method: req.method,
    url: redactUrl(req.url),
    remoteAddress,
    ...(clientAddress !== remoteAddress ? { clientAddress } : {}),
  };
}

export function createLogger(options: CreateLoggerOptions): Logger {
  return pino({
    level: options.level,
    base: { app: options.app, pid: process.pid, ...options.base },
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    serializers: { err: pino.stdSerializers.err, req: serializeRequest },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
