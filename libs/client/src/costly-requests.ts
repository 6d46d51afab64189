import type { ClientFrameType } from '@chat/contracts';

/**
 * The edge answers `rate_limited` to a 5th costly request in flight on one connection (README,
 * limits). The SDK keeps one slot free for the app's own and queues the rest, so a resume of
 * many conversations never trips the limit.
 */
export const COSTLY_IN_FLIGHT = 3;

export const COSTLY_TYPES: ReadonlySet<ClientFrameType> = new Set([
  'log.get',
  'conversation.list',
  'conversation.receipts',
  'presence.query',
  'conversation.add_member',
  'conversation.create_group',
]);

/** A counting gate for the costly requests of one client (across its sockets). */
export class CostlyRequests {
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];

  async run<T>(type: ClientFrameType, request: () => Promise<T>): Promise<T> {
    if (!COSTLY_TYPES.has(type)) return request();
    if (this.#inFlight >= COSTLY_IN_FLIGHT) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#inFlight += 1;
    try {
      return await request();
    } finally {
      // The slot passes to the next in line, or frees up.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#inFlight -= 1;
    }
  }
}
