export { type CreateLoggerOptions, createLogger, type Logger, serializeRequest } from './create-logger.js';
export { REDACT_PATHS, redactUrl } from './redaction.js';
