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

interface LoggableRequest {
  method?: string;
  url?: string;
  id?: unknown;
  socket?: { remoteAddress?: string };
}

/** Request serializer that keeps what an operator needs and never a header or a query-string token. */
export function serializeRequest(req: LoggableRequest): Record<string, unknown> {
  return { id: req.id, method: req.method, url: redactUrl(req.url), remoteAddress: req.socket?.remoteAddress };
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
