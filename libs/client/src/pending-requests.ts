import type { AckFrame, ErrorFrame } from '@chat/contracts';
import { ChatClientError } from './errors.js';

interface Pending {
  resolve(ack: AckFrame): void;
  reject(error: ChatClientError): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Requests sent on a socket and not answered yet, by `ref`. Each ends once: with its answer, at
 * its timeout, or when the socket goes (then the caller decides whether to send it again).
 */
export class PendingRequests {
  readonly #pending = new Map<string, Pending>();
  #counter = 0;

  /** A new ref and the promise of its answer; `timeoutMs` without one rejects with `timeout`. */
  open(description: string, timeoutMs: number): { ref: string; answer: Promise<AckFrame> } {
    this.#counter += 1;
    const ref = `c${this.#counter}`;
    const answer = new Promise<AckFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(ref);
        reject(new ChatClientError('timeout', `no answer to ${description} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(ref, { resolve, reject, timer });
    });
    return { ref, answer };
  }

  /** An `ack` or `error` frame: ends its request. Answers to nothing pending (timed out) are dropped. */
  answer(frame: AckFrame | ErrorFrame): void {
    if (frame.ref === undefined) return;
    const ref = String(frame.ref);
    const pending = this.#pending.get(ref);
    if (!pending) return;
    this.fail(ref, undefined);
    if (frame.type === 'ack') pending.resolve(frame);
    else pending.reject(new ChatClientError(frame.code, frame.message));
  }

  /** Ends one request (with `error`, or silently when its answer is being delivered). */
  fail(ref: string, error: ChatClientError | undefined): void {
    const pending = this.#pending.get(ref);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.#pending.delete(ref);
    if (error) pending.reject(error);
  }

  failAll(error: ChatClientError): void {
    for (const ref of [...this.#pending.keys()]) this.fail(ref, error);
  }
}
