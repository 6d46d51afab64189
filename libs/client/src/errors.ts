import type { ErrorCode } from '@chat/contracts';

/** Codes of the SDK's own, beside the server's. */
export type ClientErrorCode = ErrorCode | 'disconnected' | 'timeout' | 'closed' | 'session_ended';

/** An `error` answer of the server, an HTTP error, or one of the SDK's own. */
export class ChatClientError extends Error {
  readonly code: ClientErrorCode;
  readonly status: number | undefined;

  constructor(code: ClientErrorCode, message: string, status?: number) {
    super(message);
    this.name = 'ChatClientError';
    this.code = code;
    this.status = status;
  }

  /** Whether sending the same request again may succeed (every change is safe to repeat). */
  get retryable(): boolean {
    return (
      this.code === 'unavailable' ||
      this.code === 'disconnected' ||
      this.code === 'timeout' ||
      this.code === 'rate_limited' ||
      this.code === 'internal'
    );
  }
}
