import type { ErrorCode } from '@chat/contracts';

/** Codes of the SDK's own, beside the server's. */
export type ClientErrorCode = ErrorCode | 'disconnected' | 'timeout' | 'closed' | 'session_ended';

/** An `error` answer of the server, an HTTP error, or one of the SDK's own. */
export class ChatClientError extends Error {
  readonly code: ClientErrorCode;
  /** The HTTP status, for an HTTP answer. */
  readonly status: number | undefined;

  constructor(code: ClientErrorCode, message: string, status?: number) {
    super(message);
    this.name = 'ChatClientError';
    this.code = code;
    this.status = status;
  }

  /**
   * Whether sending the same request again may succeed. Every request the SDK repeats is safe to
   * repeat: a send carries its clientMsgId, and the server makes every change idempotent.
   */
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

export function asClientError(error: unknown): ChatClientError {
  if (error instanceof ChatClientError) return error;
  return new ChatClientError('internal', error instanceof Error ? error.message : String(error));
}

export const closedError = (): ChatClientError => new ChatClientError('closed', 'the client is closed');
