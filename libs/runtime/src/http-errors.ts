import { ChatError, type ErrorCode, HTTP_STATUS_BY_CODE, httpErrorBody, RateLimitedError } from '@chat/contracts';
import type { Logger } from '@chat/logger';
import type { ErrorRequestHandler, RequestHandler } from 'express';

/** The JSON body parser of every HTTP API; bodies past the limit are `too_large`. */
export const MAX_HTTP_BODY_BYTES = 16 * 1024;

/** Unknown routes answer like every other error, in JSON with a stable code. */
export const notFoundHandler: RequestHandler = (_req, res) => {
  res.status(404).json(httpErrorBody('not_found', 'no such endpoint'));
};

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  statusCode?: number;
}

/** The code a 4xx from express or its parsers (a URL that does not decode, say) is answered with. */
function codeOfClientStatus(status: number): ErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'too_large';
  if (status === 429) return 'rate_limited';
  return 'bad_request';
}

/**
 * Turns any error into the contract's `{error: {code, message}}`. Client errors keep their
 * message; anything unexpected is logged with its stack and leaves as a bare `internal`.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (error instanceof ChatError) {
      if (error instanceof RateLimitedError) res.setHeader('Retry-After', String(Math.max(1, error.retryAfterS)));
      res.status(HTTP_STATUS_BY_CODE[error.code]).json(httpErrorBody(error.code, error.message));
      return;
    }
    const parserError = error as BodyParserError;
    switch (parserError.type) {
      case 'entity.too.large':
        res.status(413).json(httpErrorBody('too_large', `request body is larger than ${MAX_HTTP_BODY_BYTES} bytes`));
        return;
      case 'entity.parse.failed':
        res.status(400).json(httpErrorBody('bad_request', 'request body is not valid JSON'));
        return;
      case 'encoding.unsupported':
      case 'charset.unsupported':
      case 'entity.verify.failed':
      case 'request.aborted':
      case 'request.size.invalid':
      case 'stream.encoding.set':
        res.status(400).json(httpErrorBody('bad_request', 'request body could not be read'));
        return;
    }
    // Any other error that carries a 4xx (express's "Failed to decode param", say) is the
    // client's mistake: answered as such, and logged below error level.
    const status = parserError.status ?? parserError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const code = codeOfClientStatus(status);
      logger.info({ method: req.method, status, reason: parserError.message }, 'malformed request refused');
      if (!res.headersSent) res.status(HTTP_STATUS_BY_CODE[code]).json(httpErrorBody(code, clientMessageOf(status)));
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    if (!res.headersSent) res.status(500).json(httpErrorBody('internal', 'internal error'));
  };
}

function clientMessageOf(status: number): string {
  return status === 400 ? 'the request URL or its parameters could not be decoded' : `request refused (${status})`;
}
