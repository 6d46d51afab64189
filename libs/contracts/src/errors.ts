/**
 * The stable error codes of the public contract. Clients switch on `code`; `message` is for people.
 * `internal` never leaves by design: it is what an unexpected fault becomes, without its details.
 */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'too_large',
  'rate_limited',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** An error a client is meant to see: its code and message go out as they are. */
export class ChatError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ChatError';
    this.code = code;
  }
}

/** Too many attempts; `retryAfterS` is when the next one may succeed. */
export class RateLimitedError extends ChatError {
  readonly retryAfterS: number;

  constructor(message: string, retryAfterS: number) {
    super('rate_limited', message);
    this.name = 'RateLimitedError';
    this.retryAfterS = retryAfterS;
  }
}

/** A dependency (broker, database) is down; the client may retry the same request. */
export class UnavailableError extends ChatError {
  constructor(message: string, options?: ErrorOptions) {
    super('unavailable', message, options);
    this.name = 'UnavailableError';
  }
}

/** The JSON error body of every HTTP endpoint. */
export interface HttpErrorBody {
  error: { code: ErrorCode; message: string };
}

export function httpErrorBody(code: ErrorCode, message: string): HttpErrorBody {
  return { error: { code, message } };
}
